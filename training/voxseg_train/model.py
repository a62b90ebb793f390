"""
A small 3D U-Net. The decoder upsamples with nearest-neighbour resize + convolution (no
ConvTranspose3d, which onnxruntime-web's WebGPU backend lacks); batch norm folds into the
convolutions at export, so the ONNX graph is Conv, LeakyRelu, MaxPool, Resize and Concat.
With `norm="instance"` (nnU-Net's choice) each layer normalizes every patch by its own statistics
instead, and the graph gains InstanceNormalization (implemented by both onnxruntime-web backends).
With `downsample="conv"` (nnU-Net's choice too) the encoder halves the resolution with a stride-2
first convolution instead of max pooling: the WebGPU backend has no 3-D pooling, so only a model
without MaxPool runs there.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


NORMS = {"batch": nn.BatchNorm3d, "instance": lambda c: nn.InstanceNorm3d(c, affine=True)}
DOWNSAMPLES = ("maxpool", "conv")


class Block(nn.Sequential):
    def __init__(self, cin, cout, norm="batch", stride=1):
        Norm = NORMS[norm]
        super().__init__(
            nn.Conv3d(cin, cout, 3, stride=stride, padding=1), Norm(cout), nn.LeakyReLU(0.01, inplace=True),
            nn.Conv3d(cout, cout, 3, padding=1), Norm(cout), nn.LeakyReLU(0.01, inplace=True),
        )


class UNet3D(nn.Module):
    """Input (N, 1, D, H, W) with D, H, W divisible by 2**(levels-1); output (N, classes, D, H, W) logits."""

    def __init__(self, channels=(8, 16, 32, 64), classes=8, norm="batch", downsample="maxpool"):
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"train.norm must be one of {', '.join(NORMS)}, not {norm!r}")
        if downsample not in DOWNSAMPLES:
            raise ValueError(f"train.downsample must be one of {', '.join(DOWNSAMPLES)}, not {downsample!r}")
        self.pool = downsample == "maxpool"
        self.encoders = nn.ModuleList()
        cin = 1
        for n, c in enumerate(channels):
            self.encoders.append(Block(cin, c, norm, 1 if self.pool or n == 0 else 2))
            cin = c
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for c in reversed(channels[:-1]):
            self.ups.append(nn.Conv3d(cin, c, 1))
            self.decoders.append(Block(2 * c, c, norm))
            cin = c
        self.head = nn.Conv3d(cin, classes, 1)

    def forward(self, x):
        skips = []
        for n, enc in enumerate(self.encoders):
            x = enc(x)
            if n < len(self.encoders) - 1:
                skips.append(x)
                if self.pool:
                    x = F.max_pool3d(x, 2)
        for up, dec in zip(self.ups, self.decoders):
            x = up(F.interpolate(x, scale_factor=2, mode="nearest"))
            x = dec(torch.cat([x, skips.pop()], 1))
        return self.head(x)


def tile_starts(size, patch, stride):
    if size <= patch:
        return [0]
    starts = list(range(0, size - patch, stride)) + [size - patch]
    return sorted(set(starts))


def predict_volume(model, image, patch, batch=2, overlap=0.25):
    """
    Logits (classes, D, H, W) of a whole volume by a sliding window of training-sized patches
    (PyTorch on the CPU is much faster on small batched patches than on one big block), averaged
    where tiles overlap. The image is padded with its minimum where it is smaller than a patch.
    """
    d, h, w = image.shape
    pd, ph, pw = patch
    pad = [max(0, pd - d), max(0, ph - h), max(0, pw - w)]
    x = torch.from_numpy(image)[None, None]
    if any(pad):
        x = F.pad(x, (0, pad[2], 0, pad[1], 0, pad[0]), value=float(image.min()))
    D, H, W = x.shape[2:]
    stride = [max(1, int(p * (1 - overlap))) for p in patch]
    pos = [(a, b, c) for a in tile_starts(D, pd, stride[0]) for b in tile_starts(H, ph, stride[1]) for c in tile_starts(W, pw, stride[2])]
    out = None
    count = torch.zeros(1, D, H, W)
    with torch.no_grad():
        for n in range(0, len(pos), batch):
            group = pos[n:n + batch]
            xb = torch.cat([x[:, :, a:a + pd, b:b + ph, c:c + pw] for a, b, c in group])
            yb = model(xb)
            if out is None:
                out = torch.zeros(yb.shape[1], D, H, W)
            for (a, b, c), y in zip(group, yb):
                out[:, a:a + pd, b:b + ph, c:c + pw] += y
                count[:, a:a + pd, b:b + ph, c:c + pw] += 1
    return (out / count)[:, :d, :h, :w]


def recalibrate_batch_norm(model, sampler, batches, batch):
    """
    Replace the batch-norm running statistics (an exponential average over the last few dozen
    training batches, which swings with whichever patches came last) with their plain average
    over `batches` fresh training batches, so validation and the exported model see stable
    normalization.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm3d)]
    if not norms:
        return  # instance norm keeps no running statistics
    momentum = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(sampler.sample(batch)[0])
    for m, mo in zip(norms, momentum):
        m.momentum = mo
