"""
An independent PyTorch/numpy/scipy reference for voxseg's nnU-Net v2 import (no nnU-Net package):
`arch` rebuilds PlainConvUNet / ResidualEncoderUNet with nnU-Net's exact state_dict keys,
`fixtures` writes nnU-Net result folders with random weights and real torch.save checkpoints,
`predict` re-implements nnU-Net v2's prediction (preprocessing, sliding window, export).
Entry point: training/nnunet_reference.py.
"""
