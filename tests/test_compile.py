"""``model.params.compile`` for every family (:mod:`spikevision.models.compile`): the switch compiles
each family's network in place (checkpoint keys unchanged), bad options fail with one line, and a
compiled network gives the eager outputs and trains (slow: compilation on a CPU takes tens of
seconds even for a tiny network; docs/benchmarks.md has the times per family)."""

from __future__ import annotations

import pytest
import torch

from gpu_check_module import load_gpu_check
from spikevision.errors import ConfigError
from spikevision.models.compile import compile_networks, compile_options, is_compiled

gc = load_gpu_check()

#: the network each family compiles (the VQ model compiles its encoder/decoder step functions)
COMPILED = {"recon": "net", "spikeclip_stage1": "net", "spikeclip_stage2": "prompts", "spikeclip_stage3": "net",
            "spikeclip_refiner": "refiner", "transformer": "transformer", "spikecnn": "net", "jscc": "system"}


def test_compile_options():
    assert compile_options(False) is None and compile_options(None) is None
    assert compile_options(True) == {}
    assert compile_options({"mode": "max-autotune", "dynamic": False}) == {"mode": "max-autotune", "dynamic": False}
    with pytest.raises(ConfigError, match=r"model.params.compile: unknown torch.compile options \['modes'\]"):
        compile_options({"modes": "x"})
    with pytest.raises(ConfigError, match="expected true/false or a mapping"):
        compile_options("yes")


def test_compile_networks_names_what_it_compiled():
    owner = torch.nn.Module()
    owner.net = torch.nn.Linear(2, 2)
    assert compile_networks(owner, False, "net") == [] and not is_compiled(owner.net)
    assert compile_networks(owner, {"backend": "eager"}, "net") == ["net"] and is_compiled(owner.net)
    with pytest.raises(AttributeError):
        compile_networks(owner, True, "missing")


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_every_family_compiles_its_network_in_place(name, tmp_path):
    eager = gc.build_family(name, tmp_path).model
    compiled = gc.build_family(name, tmp_path, compile={"backend": "eager"}).model
    attr = COMPILED[name]
    assert is_compiled(getattr(compiled, attr)) and not is_compiled(getattr(eager, attr))
    assert compiled.hparams["compile"] == {"backend": "eager"}
    # checkpoints of compiled and eager runs are interchangeable: same keys, loads strictly
    assert list(compiled.state_dict()) == list(eager.state_dict())
    compiled.load_state_dict(eager.state_dict())


def test_vq_model_keeps_its_own_compile_switch(tmp_path):
    model = gc.build_family("vqgan", tmp_path, compile=True).model
    assert hasattr(model.encoder._forward, "_torchdynamo_orig_callable") or "compile" in repr(model.encoder._forward)


def _outputs(name: str, model, items) -> torch.Tensor:
    from spikevision.snn.neurons import reset_states

    with torch.no_grad():
        if name == "jscc":
            left = torch.stack([it["left"] for it in items])
            right = torch.stack([it["right"] for it in items])
            out = model.system(left, right, snr_db=float("inf"))
            reset_states(model.system)
            return torch.cat([v for k, v in sorted(out.items()) if k in ("left", "right") and v is not None])
        return model(torch.stack([it["input"] for it in items]))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["jscc", "spikecnn"])
def test_compiled_network_matches_eager_and_trains(name, tmp_path):
    """aot_eager traces forward and backward graphs (what inductor then generates code for) without
    a C++ build; the SNN (jscc: I-LIF neurons) and the CNN family."""
    eager = gc.build_family(name, tmp_path)
    compiled = gc.build_family(name, tmp_path, compile={"backend": "aot_eager", "dynamic": False})
    compiled.model.load_state_dict(eager.model.state_dict())
    eager.model.eval()
    compiled.model.eval()
    items = eager.items[:2]
    torch.testing.assert_close(_outputs(name, compiled.model, items), _outputs(name, eager.model, items),
                               rtol=1e-5, atol=1e-5)
    eager.model.train()  # Lightning's fit keeps the mode it is given
    compiled.model.train()
    torch.manual_seed(0)
    expected = gc.fit_steps(eager, steps=1, batch_size=2)
    torch.manual_seed(0)
    result = gc.fit_steps(compiled, steps=1, batch_size=2)
    assert result["finite"] and result["changed"] == expected["changed"] > 0, (result, expected)
    assert result["loss"] == pytest.approx(expected["loss"], rel=0.2)
