"""aemodel.py: the PyTorch model that ae-train trains, built from an aekit checkpoint.

One definition for every reference script (torch_train.py, torch_encode.py,
torch_train_ckpt.py), following aekit-checkpoint(5): encoder Linear(d0,d1), act, ...,
Linear(d(L-1),dL), latent act; decoder Linear(dL,d(L-1)), act, ..., Linear(d1,d0). Activation
modules take their index too, so the Linear layers are encoder.0, encoder.2, ... and
decoder.0, decoder.2, ..., the state_dict keys of the checkpoint's /state_dict.
"""
import h5py
import numpy as np
import torch
from torch import nn

ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
        "leaky_relu": lambda: nn.LeakyReLU(0.01), "linear": nn.Identity}


def text(x):
    """An HDF5 string attribute as str (h5py gives bytes for fixed-length strings)."""
    return x.decode() if isinstance(x, bytes) else str(x)


def build(dims, act, latent, linear=nn.Linear):
    """An nn.Module with .encoder and .decoder Sequentials; `linear` makes each Linear layer."""
    enc, dec = [], []
    L = len(dims) - 1
    for k in range(L):
        enc.append(linear(dims[k], dims[k + 1]))
        enc.append(ACTS[act]() if k < L - 1 else ACTS[latent]())
    for k in range(L, 0, -1):
        dec.append(linear(dims[k], dims[k - 1]))
        if k > 1:
            dec.append(ACTS[act]())
    model = nn.Module()
    model.encoder, model.decoder = nn.Sequential(*enc), nn.Sequential(*dec)
    return model


def load(path, linear=nn.Linear):
    """(model with the checkpoint's weights, dims, activation, latent activation)."""
    with h5py.File(path, "r") as f:
        dims = [int(d) for d in f.attrs["dims"]]
        act, latent = text(f.attrs["activation"]), text(f.attrs["latent_activation"])
        state = {k: torch.from_numpy(np.asarray(v[()])) for k, v in f["state_dict"].items()}
    model = build(dims, act, latent, linear)
    model.load_state_dict(state, strict=True)
    return model, dims, act, latent
