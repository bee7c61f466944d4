"""Registry: target/params instantiation, helpful errors, config merging."""

from __future__ import annotations

import pytest

from spikevision.errors import ConfigError
from spikevision.registry import get_obj_from_str, instantiate_from_config, merge_configs


def test_instantiates_target_with_params():
    obj = instantiate_from_config({"target": "spikevision.losses.PixelLoss",
                                   "params": {"l1_weight": 2.0, "ssim_weight": 0.5}})
    assert obj.l1_weight == 2.0 and obj.ssim_weight == 0.5


def test_importable_from_any_module():
    # the registry lives in the package, so datasets and models can build nested configs
    import spikevision.data.datamodule as dm

    assert dm.instantiate_from_config is instantiate_from_config


def test_misspelt_class_suggests_close_names_and_names_key_path():
    with pytest.raises(ConfigError) as err:
        instantiate_from_config({"target": "spikevision.models.recon.SnnReconModle"},
                                key_path="model")
    msg = str(err.value)
    assert "model.target" in msg and "SnnReconModel" in msg


def test_misspelt_module_suggests_close_modules():
    with pytest.raises(ConfigError) as err:
        get_obj_from_str("spikevision.data.ndigit.NDigits", key_path="data.params.train.target")
    msg = str(err.value)
    assert "data.params.train.target" in msg and "spikevision.data.ndigits" in msg


def test_missing_target_and_bad_params_are_reported():
    with pytest.raises(ConfigError, match="missing 'target'"):
        instantiate_from_config({"params": {}}, key_path="data")
    with pytest.raises(ConfigError, match="l1_wieght.*Accepted parameters: l1_weight"):
        instantiate_from_config({"target": "spikevision.losses.PixelLoss",
                                 "params": {"l1_wieght": 1.0}}, key_path="model.params.loss")


def test_merge_left_to_right_then_cli(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("model:\n  params:\n    x: 1\n    y: 2\n")
    b.write_text("model:\n  params:\n    y: 3\n")
    cfg = merge_configs([a, b], ["model.params.x=10", "new.key=abc"])
    assert cfg.model.params.x == 10 and cfg.model.params.y == 3 and cfg.new.key == "abc"
    with pytest.raises(ConfigError, match="not found"):
        merge_configs([tmp_path / "missing.yaml"])
    with pytest.raises(ConfigError, match="dotted.key=value"):
        merge_configs([a], ["oops"])


def test_renamed_arguments_maps_old_names_once_with_a_warning():
    import warnings

    from spikevision.registry import renamed_arguments

    old = {"oldname": {"a": 1}}
    with pytest.warns(DeprecationWarning, match="'oldname' is now called 'newname'"):
        out = renamed_arguments(old, {"oldname": "newname"}, "Owner1", {"newname": None, "other": 2})
    assert out == {"newname": {"a": 1}, "other": 2} and old == {}  # emptied: hparams get the new name
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second use does not warn again
        assert renamed_arguments({"oldname": 3}, {"oldname": "newname"}, "Owner1", {"newname": None}) == {"newname": 3}
    with pytest.raises(ConfigError, match="'oldname' is the old name of 'newname'"):
        renamed_arguments({"oldname": 1}, {"oldname": "newname"}, "Owner1", {"newname": 2})
    with pytest.raises(TypeError, match="unexpected keyword argument 'typo'"):
        renamed_arguments({"typo": 1}, {"oldname": "newname"}, "Owner1", {"newname": None})
    with pytest.raises(TypeError, match="missing required argument 'newname'"):
        renamed_arguments({}, {"oldname": "newname"}, "Owner1", {"newname": None}, required=("newname",))


def test_unknown_keyword_of_a_renaming_model_is_a_config_error():
    with pytest.raises(ConfigError, match="unexpected keyword argument 'ddconfg'"):
        instantiate_from_config({"target": "spikevision.models.vqvae.SnnVQModel", "params": {"ddconfg": {}}},
                                key_path="model")
