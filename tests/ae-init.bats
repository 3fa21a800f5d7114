#!/usr/bin/env bats
# ae-init: untrained checkpoints in PyTorch's state_dict layout.
bats_require_minimum_version 1.5.0
load helper

setup() { cd "$BATS_TEST_TMPDIR"; }

# h5 FILE EXPR: evaluate a Python expression over the h5py File f
h5() { "$PYTHON" -c "import h5py,numpy as np,sys; f=h5py.File(sys.argv[1],'r'); print($2)" "$1"; }

U='usage: ae-init DIMS -o FILE [-a relu|tanh|sigmoid|leaky_relu] [--latent-activation linear|relu|tanh|sigmoid] [--seed N]'

@test "--help prints usage on stdout and exits 0" {
    run -0 --separate-stderr ae-init --help
    assert_line --index 0 "$U"
    assert_stderr ''
}

@test "writes the root attributes and state_dict names and shapes" {
    run -0 --separate-stderr ae-init 20,8,3 -o m.ckpt -a tanh --latent-activation sigmoid --seed 7
    assert_output ''
    assert_stderr ''
    run -0 h5 m.ckpt 'f.attrs["format"], f.attrs["format_version"], f.attrs["dims"].tolist(), f.attrs["activation"], f.attrs["latent_activation"], f.attrs["seed"], f.attrs["epoch"], f.attrs["global_step"], f.attrs["val_loss"], f.attrs["precision"]'
    assert_output 'aekit-checkpoint 1 [20, 8, 3] tanh sigmoid 7 -1 0 nan 32-true'
    run -0 h5 m.ckpt '[(k, v.shape, str(v.dtype)) for k, v in f["state_dict"].items()]'
    assert_output "[('decoder.0.bias', (8,), 'float32'), ('decoder.0.weight', (8, 3), 'float32'), ('decoder.2.bias', (20,), 'float32'), ('decoder.2.weight', (20, 8), 'float32'), ('encoder.0.bias', (8,), 'float32'), ('encoder.0.weight', (8, 20), 'float32'), ('encoder.2.bias', (3,), 'float32'), ('encoder.2.weight', (3, 8), 'float32')]"
}

@test "initialisation is nn.Linear's: uniform within 1/sqrt(fan_in), seeded" {
    ae-init 400,100,2 -o a.ckpt --seed 1
    ae-init 400,100,2 -o b.ckpt --seed 1
    ae-init 400,100,2 -o c.ckpt --seed 2
    cmp <(h5 a.ckpt 'f["state_dict/encoder.0.weight"][()].tobytes().hex()') \
        <(h5 b.ckpt 'f["state_dict/encoder.0.weight"][()].tobytes().hex()')
    ! cmp -s <(h5 a.ckpt 'f["state_dict/encoder.0.weight"][()].tobytes().hex()') \
        <(h5 c.ckpt 'f["state_dict/encoder.0.weight"][()].tobytes().hex()')
    # every tensor within its bound, and filling it (a uniform sample of 40000 reaches 99%)
    run -0 h5 a.ckpt 'all(0.99 < np.abs(v[()]).max() * np.sqrt(v.shape[-1] if v.ndim == 2 else f["state_dict/" + k.replace("bias", "weight")].shape[1]) <= 1 for k, v in f["state_dict"].items() if v.size > 1000)'
    assert_output 'True'
    # the same bound as torch.nn.Linear(400, 100).reset_parameters()
    run -0 "$PYTHON" -c 'import torch; l = torch.nn.Linear(400, 100); print(float(l.weight.abs().max()) <= 400 ** -0.5)'
    assert_output 'True'
}

@test "the checkpoint loads into the equivalent torch nn.Sequential" {
    ae-init 30,10,4,2 -o m.ckpt -a leaky_relu
    run -0 "$PYTHON" -c '
import h5py, torch
from torch import nn
f = h5py.File("m.ckpt", "r")
sd = {k: torch.from_numpy(v[()]) for k, v in f["state_dict"].items()}
enc = nn.Sequential(nn.Linear(30, 10), nn.LeakyReLU(0.01), nn.Linear(10, 4), nn.LeakyReLU(0.01), nn.Linear(4, 2), nn.Identity())
dec = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.01), nn.Linear(4, 10), nn.LeakyReLU(0.01), nn.Linear(10, 30))
model = nn.ModuleDict({"encoder": enc, "decoder": dec})
print(model.load_state_dict(sd, strict=True))'
    assert_output '<All keys matched successfully>'
}

@test "usage errors exit 2 with the reason" {
    run -2 --separate-stderr ae-init
    assert_stderr "ae-init: missing DIMS
$U"
    run -2 --separate-stderr ae-init 10,2
    assert_stderr "ae-init: -o FILE is required
$U"
    run -2 --separate-stderr ae-init 10,x -o m.ckpt
    assert_stderr "ae-init: DIMS: '10,x' is not a list of 2 to 16 positive integers like 2000,500,125,2
$U"
    run -2 --separate-stderr ae-init 10 -o m.ckpt
    assert_stderr "ae-init: DIMS: '10' is not a list of 2 to 16 positive integers like 2000,500,125,2
$U"
    run -2 --separate-stderr ae-init 10,0,2 -o m.ckpt
    assert_stderr "ae-init: DIMS: '10,0,2' is not a list of 2 to 16 positive integers like 2000,500,125,2
$U"
    run -2 --separate-stderr ae-init 10,2 -o m.ckpt -a linear
    assert_stderr "ae-init: --activation: 'linear' is not one of relu, tanh, sigmoid, leaky_relu
$U"
    run -2 --separate-stderr ae-init 10,2 -o m.ckpt --latent-activation leaky_relu
    assert_stderr "ae-init: --latent-activation: 'leaky_relu' is not one of linear, relu, tanh, sigmoid
$U"
    run -2 --separate-stderr ae-init 10,2 -o m.ckpt --seed -1
    assert_stderr "ae-init: --seed: -1 is out of range (0..9223372036854775807)
$U"
    run -2 --separate-stderr ae-init 10,2 3,4 -o m.ckpt
    assert_stderr "ae-init: too many arguments
$U"
    run -2 --separate-stderr ae-init 10,2 -o m.ckpt --bogus
    assert_stderr "ae-init: unknown option '--bogus'
$U"
    assert_file_absent m.ckpt
}

@test "an unwritable output is a runtime error, and nothing is left behind" {
    mkdir ro && chmod 555 ro
    run -1 --separate-stderr ae-init 10,2 -o nodir/m.ckpt
    [[ "$stderr" =~ ^ae-init:\ nodir/m\.ckpt\.tmp\.[0-9]+:\ cannot\ create\ file$ ]]
    if [[ $(id -u) != 0 ]]; then
        run -1 --separate-stderr ae-init 10,2 -o ro/m.ckpt
        run -0 ls -A ro
        assert_output ''
    fi
}
