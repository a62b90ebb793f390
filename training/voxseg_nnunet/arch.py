"""
nnU-Net v2's two standard 3-D networks, rebuilt from the published description of
dynamic_network_architectures (PlainConvUNet, ResidualEncoderUNet with BasicBlockD, UNetDecoder).

The point is an independent forward pass whose state_dict has exactly the keys a real nnU-Net v2
checkpoint holds, so `load_state_dict(checkpoint["network_weights"])` is strict. The keys follow
from module registration order, which is therefore kept as in the original:
- a conv block registers `conv`, `norm`, `nonlin` and then `all_modules` (a Sequential of the same
  modules), so every conv/norm weight appears twice: `...convs.0.conv.weight` and
  `...convs.0.all_modules.0.weight`;
- the decoder keeps a reference to the encoder, so every encoder weight appears again under
  `decoder.encoder.`;
- PlainConvUNet wraps each encoder stage in a Sequential (`encoder.stages.S.0.convs.I`),
  ResidualEncoderUNet does not (`encoder.stages.S.blocks.B.conv1`), and has a `stem`;
- the decoder builds one 1x1x1 segmentation head per stage (`decoder.seg_layers.S`); without deep
  supervision only the last one is used.
Math: Conv3d (padding (k-1)//2, bias as the plans say) -> InstanceNorm3d(eps 1e-5, affine) ->
LeakyReLU(0.01); downsampling by the first conv of a stage (stride); upsampling by ConvTranspose3d
with kernel = stride (bias = conv_bias); decoder input = concat(upsampled, skip). BasicBlockD:
conv1 (conv-norm-nonlin, carries the stride) -> conv2 (conv-norm) + skip -> LeakyReLU, skip =
AvgPool3d(stride) if strided, then a bias-free 1x1x1 conv + norm if the width changes.
Only 3-D (Conv3d) networks are built here.
"""
import torch
import torch.nn as nn


def _triple(v):
    return [int(v)] * 3 if isinstance(v, (int, float)) else [int(x) for x in v]


class ConvNormAct(nn.Module):
    """nnU-Net's ConvDropoutNormReLU without dropout (nnU-Net's plans never enable it)."""

    def __init__(self, cin, cout, kernel, stride, conv_bias, nonlin=True):
        super().__init__()
        kernel, stride = _triple(kernel), _triple(stride)
        self.conv = nn.Conv3d(cin, cout, kernel, stride, padding=[(k - 1) // 2 for k in kernel], bias=conv_bias)
        self.norm = nn.InstanceNorm3d(cout, eps=1e-5, affine=True)
        ops = [self.conv, self.norm]
        if nonlin:
            self.nonlin = nn.LeakyReLU(0.01, inplace=True)
            ops.append(self.nonlin)
        self.all_modules = nn.Sequential(*ops)

    def forward(self, x):
        return self.all_modules(x)


class StackedConvBlocks(nn.Module):
    def __init__(self, n, cin, cout, kernel, first_stride, conv_bias):
        super().__init__()
        self.convs = nn.Sequential(*[
            ConvNormAct(cin if i == 0 else cout, cout, kernel, first_stride if i == 0 else 1, conv_bias)
            for i in range(n)])

    def forward(self, x):
        return self.convs(x)


class BasicBlockD(nn.Module):
    def __init__(self, cin, cout, kernel, stride, conv_bias):
        super().__init__()
        stride = _triple(stride)
        self.conv1 = ConvNormAct(cin, cout, kernel, stride, conv_bias)
        self.conv2 = ConvNormAct(cout, cout, kernel, 1, conv_bias, nonlin=False)
        self.nonlin2 = nn.LeakyReLU(0.01, inplace=True)
        strided = any(s != 1 for s in stride)
        if strided or cin != cout:
            ops = []
            if strided:
                ops.append(nn.AvgPool3d(stride, stride))
            if cin != cout:
                ops.append(ConvNormAct(cin, cout, 1, 1, False, nonlin=False))
            self.skip = nn.Sequential(*ops)
        else:
            self.skip = nn.Identity()

    def forward(self, x):
        residual = self.skip(x)
        out = self.conv2(self.conv1(x))
        out += residual
        return self.nonlin2(out)


class StackedResidualBlocks(nn.Module):
    def __init__(self, n, cin, cout, kernel, first_stride, conv_bias):
        super().__init__()
        self.blocks = nn.Sequential(*[
            BasicBlockD(cin if i == 0 else cout, cout, kernel, first_stride if i == 0 else 1, conv_bias)
            for i in range(n)])

    def forward(self, x):
        return self.blocks(x)


class PlainConvEncoder(nn.Module):
    def __init__(self, cin, features, kernels, strides, n_convs, conv_bias):
        super().__init__()
        stages = []
        for s, width in enumerate(features):
            stages.append(nn.Sequential(StackedConvBlocks(n_convs[s], cin, width, kernels[s], strides[s], conv_bias)))
            cin = width
        self.stages = nn.Sequential(*stages)
        self.output_channels = list(features)
        self.strides = [_triple(s) for s in strides]
        self.kernel_sizes = [_triple(k) for k in kernels]
        self.conv_bias = conv_bias

    def forward(self, x):
        skips = []
        for stage in self.stages:
            x = stage(x)
            skips.append(x)
        return skips


class ResidualEncoder(nn.Module):
    def __init__(self, cin, features, kernels, strides, n_blocks, conv_bias):
        super().__init__()
        self.stem = StackedConvBlocks(1, cin, features[0], kernels[0], 1, conv_bias)
        cin = features[0]
        stages = []
        for s, width in enumerate(features):
            stages.append(StackedResidualBlocks(n_blocks[s], cin, width, kernels[s], strides[s], conv_bias))
            cin = width
        self.stages = nn.Sequential(*stages)
        self.output_channels = list(features)
        self.strides = [_triple(s) for s in strides]
        self.kernel_sizes = [_triple(k) for k in kernels]
        self.conv_bias = conv_bias

    def forward(self, x):
        x = self.stem(x)
        skips = []
        for stage in self.stages:
            x = stage(x)
            skips.append(x)
        return skips


class UNetDecoder(nn.Module):
    def __init__(self, encoder, num_classes, n_convs, deep_supervision):
        super().__init__()
        self.deep_supervision = deep_supervision
        self.encoder = encoder  # registered on purpose: real checkpoints hold decoder.encoder.* too
        widths = encoder.output_channels
        stages, transpconvs, seg_layers = [], [], []
        for s in range(1, len(widths)):
            below, skip = widths[-s], widths[-(s + 1)]
            stride = encoder.strides[-s]
            transpconvs.append(nn.ConvTranspose3d(below, skip, stride, stride, bias=encoder.conv_bias))
            stages.append(StackedConvBlocks(n_convs[s - 1], 2 * skip, skip, encoder.kernel_sizes[-(s + 1)], 1,
                                            encoder.conv_bias))
            seg_layers.append(nn.Conv3d(skip, num_classes, 1, 1, 0, bias=True))
        self.stages = nn.ModuleList(stages)
        self.transpconvs = nn.ModuleList(transpconvs)
        self.seg_layers = nn.ModuleList(seg_layers)

    def forward(self, skips):
        x = skips[-1]
        outputs = []
        for s in range(len(self.stages)):
            x = self.transpconvs[s](x)
            x = torch.cat((x, skips[-(s + 2)]), 1)
            x = self.stages[s](x)
            if self.deep_supervision:
                outputs.append(self.seg_layers[s](x))
            elif s == len(self.stages) - 1:
                outputs.append(self.seg_layers[-1](x))
        outputs = outputs[::-1]
        return outputs if self.deep_supervision else outputs[0]


class PlainConvUNet(nn.Module):
    def __init__(self, input_channels, n_stages, features_per_stage, kernel_sizes, strides, n_conv_per_stage,
                 num_classes, n_conv_per_stage_decoder, conv_bias=False, deep_supervision=False):
        super().__init__()
        assert len(features_per_stage) == n_stages
        self.encoder = PlainConvEncoder(input_channels, features_per_stage, kernel_sizes, strides,
                                        n_conv_per_stage, conv_bias)
        self.decoder = UNetDecoder(self.encoder, num_classes, n_conv_per_stage_decoder, deep_supervision)

    def forward(self, x):
        return self.decoder(self.encoder(x))


class ResidualEncoderUNet(nn.Module):
    def __init__(self, input_channels, n_stages, features_per_stage, kernel_sizes, strides, n_blocks_per_stage,
                 num_classes, n_conv_per_stage_decoder, conv_bias=False, deep_supervision=False):
        super().__init__()
        assert len(features_per_stage) == n_stages
        self.encoder = ResidualEncoder(input_channels, features_per_stage, kernel_sizes, strides,
                                       n_blocks_per_stage, conv_bias)
        self.decoder = UNetDecoder(self.encoder, num_classes, n_conv_per_stage_decoder, deep_supervision)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def set_deep_supervision(net, enabled):
    net.decoder.deep_supervision = enabled
