"""
Reading an nnU-Net v2 result folder: plans.json (both schemas), dataset.json, checkpoints.

Followed (by name): PlansManager.get_configuration and its inheritance resolution (a configuration
with `inherits_from` starts from a copy of its resolved parent and overrides the keys it sets);
ConfigurationManager's network properties: the current schema has
`architecture.{network_class_name, arch_kwargs, _kw_requires_import}`; the early-v2 schema has
`UNet_class_name`, `UNet_base_num_features`, `unet_max_num_features`, `n_conv_per_stage_encoder`,
`n_conv_per_stage_decoder`, `conv_kernel_sizes`, `pool_op_kernel_sizes`, from which early nnU-Net v2
(get_network_from_plans) built features_per_stage[i] = min(base * 2**i, max), strides =
pool_op_kernel_sizes, n_conv_per_stage (PlainConvUNet) or n_blocks_per_stage (ResidualEncoderUNet)
= n_conv_per_stage_encoder, conv_bias True, instance norm, LeakyReLU. The number of output
channels is the number of labels in dataset.json (region-based models are not handled here);
input channels = number of channel_names (cascade stages would add one per class: refused).
"""
import copy
import json
from pathlib import Path

import torch

from .arch import PlainConvUNet, ResidualEncoderUNet

NETWORKS = {
    "PlainConvUNet": PlainConvUNet,
    "ResidualEncoderUNet": ResidualEncoderUNet,
}


def resolve_configuration(plans, name):
    configs = plans["configurations"]
    if name not in configs:
        raise KeyError(f"plans.json has no configuration {name!r} (has {', '.join(configs)})")
    config = copy.deepcopy(configs[name])
    if "inherits_from" in config:
        parent = resolve_configuration(plans, config["inherits_from"])
        parent.update(config)
        config = parent
    return config


def architecture(config):
    """(class short name, keyword arguments of our arch classes) for a resolved configuration."""
    if "architecture" in config:
        arch = config["architecture"]
        name = arch["network_class_name"].split(".")[-1]
        kw = arch["arch_kwargs"]
        if not kw["conv_op"].endswith("Conv3d"):
            raise ValueError(f"only 3-D networks are supported, not {kw['conv_op']}")
        out = dict(n_stages=kw["n_stages"], features_per_stage=kw["features_per_stage"],
                   kernel_sizes=kw["kernel_sizes"], strides=kw["strides"],
                   n_conv_per_stage_decoder=kw["n_conv_per_stage_decoder"], conv_bias=kw["conv_bias"])
        blocks = "n_blocks_per_stage" if name == "ResidualEncoderUNet" else "n_conv_per_stage"
        out[blocks] = kw[blocks]
    else:
        name = config["UNet_class_name"]
        if len(config["patch_size"]) != 3:
            raise ValueError("only 3-D configurations are supported")
        n = len(config["conv_kernel_sizes"])
        out = dict(n_stages=n,
                   features_per_stage=[min(config["UNet_base_num_features"] * 2 ** i, config["unet_max_num_features"])
                                       for i in range(n)],
                   kernel_sizes=config["conv_kernel_sizes"], strides=config["pool_op_kernel_sizes"],
                   n_conv_per_stage_decoder=config["n_conv_per_stage_decoder"], conv_bias=True)
        blocks = "n_blocks_per_stage" if name == "ResidualEncoderUNet" else "n_conv_per_stage"
        out[blocks] = config["n_conv_per_stage_encoder"]
    if name not in NETWORKS:
        raise ValueError(f"unsupported network class {name}")
    return name, out


def num_classes(dataset_json):
    labels = dataset_json["labels"]
    if any(isinstance(v, (list, tuple)) for v in labels.values()):
        raise ValueError("region-based models are not supported by the reference")
    return len([k for k in labels if k != "ignore"])


def build_network(plans, configuration, dataset_json, deep_supervision=False):
    config = resolve_configuration(plans, configuration)
    if config.get("previous_stage"):
        raise ValueError("cascade stages need the previous stage's segmentation: not supported")
    name, kw = architecture(config)
    return NETWORKS[name](input_channels=len(dataset_json["channel_names"]), num_classes=num_classes(dataset_json),
                          deep_supervision=deep_supervision, **kw)


class ResultFolder:
    """A `Dataset.../Trainer__Plans__configuration/` folder."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.plans = json.loads((self.folder / "plans.json").read_text())
        self.dataset_json = json.loads((self.folder / "dataset.json").read_text())
        self.configuration = self.folder.name.split("__")[-1]

    def checkpoint(self, fold, which="final"):
        path = self.folder / f"fold_{fold}" / f"checkpoint_{which}.pth"
        return torch.load(path, map_location="cpu")

    def config(self, name=None):
        return resolve_configuration(self.plans, name or self.configuration)

    def networks(self, folds, which="final"):
        """One eval-mode network per fold, loaded strictly; also the first checkpoint's trainer metadata."""
        nets, meta = [], None
        for fold in folds:
            ckpt = self.checkpoint(fold, which)
            configuration = ckpt["init_args"]["configuration"]
            net = build_network(self.plans, configuration, self.dataset_json)
            net.load_state_dict(ckpt["network_weights"], strict=True)
            net.eval()
            nets.append(net)
            if meta is None:
                meta = {"configuration": configuration,
                        "mirror_axes": ckpt.get("inference_allowed_mirroring_axes"),
                        "trainer": ckpt["trainer_name"]}
        return nets, meta
