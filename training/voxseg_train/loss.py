"""Cross-entropy + soft Dice over the foreground classes (nnU-Net's default, batch Dice)."""
import torch
import torch.nn.functional as F


def dice_ce_loss(logits, target, eps=1e-5):
    ce = F.cross_entropy(logits, target)
    probs = torch.softmax(logits, 1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 4, 1, 2, 3).float()
    dims = (0, 2, 3, 4)
    inter = (probs * onehot).sum(dims)
    denom = probs.sum(dims) + onehot.sum(dims)
    dice = (2 * inter + eps) / (denom + eps)
    return ce + (1 - dice[1:].mean())


def dice_per_class(pred, target, classes):
    """Hard Dice per foreground class (NaN where a class is in neither map)."""
    out = []
    for c in range(1, classes):
        a = pred == c
        b = target == c
        s = int(a.sum()) + int(b.sum())
        out.append(float("nan") if s == 0 else 2 * int((a & b).sum()) / s)
    return out
