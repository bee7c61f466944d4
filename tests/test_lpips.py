"""Our hand-written LPIPS forward pass against ``lpips.LPIPS`` on the same (random) VGG16 weights."""

from __future__ import annotations

import warnings

import pytest
import torch

from spikevision.losses.lpips_loss import LPIPS, VGG16_FILE


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(ours, lpips.LPIPS) sharing one random VGG16, written to a local file as torchvision saves it."""
    import lpips
    from torchvision.models import vgg16

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("vgg") / VGG16_FILE
    torch.save(vgg16().state_dict(), path)
    ours = LPIPS(vgg_weights=str(path)).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lpips passes torchvision's deprecated `pretrained=False`
        theirs = lpips.LPIPS(pretrained=True, net="vgg", pnet_rand=True, verbose=False).eval()
    features = torch.load(path, weights_only=True)
    state = {k: features["features." + k.split(".", 1)[1]] for k in theirs.net.state_dict()}
    theirs.net.load_state_dict(state)
    return ours, theirs


def test_lpips_equals_the_reference_implementation(pair):
    ours, theirs = pair
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 3, 48, 40, generator=g) * 2 - 1
    y = (x + 0.3 * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    with torch.no_grad():
        a, b = ours(x, y), theirs(x, y).flatten()
    assert a.shape == (3,) and (a > 0).all()
    assert torch.allclose(a, b, rtol=1e-5, atol=1e-7)
    with torch.no_grad():
        assert torch.allclose(ours(x, x), torch.zeros(3), atol=1e-7)
        # in [0, 1] with lpips's normalize=True
        u, v = (x + 1) / 2, (y + 1) / 2
        assert torch.allclose(ours(u * 2 - 1, v * 2 - 1), theirs(u, v, normalize=True).flatten(), rtol=1e-5)


def test_lpips_linear_weights_are_lpips_own(pair):
    ours, theirs = pair
    for i in range(5):
        assert torch.equal(getattr(ours, f"lin{i}"), getattr(theirs, f"lin{i}").model[1].weight)
