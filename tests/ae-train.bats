#!/usr/bin/env bats
# ae-train: numerics against PyTorch, outputs, checkpoints, interruption and resumption, errors.
bats_require_minimum_version 1.5.0
load helper

setup_file() {
    cd "$BATS_FILE_TMPDIR"
    # real RCV1 documents: 990 rows x 300 features (a few rows end up all zero), and 1000 x 200
    "$PYTHON" "$TESTS_DIR/ref/make_dataset.py" d990.h5 --features 300 --rows 990
    "$PYTHON" "$TESTS_DIR/ref/make_dataset.py" d.h5 --features 200 --rows 1000
}

setup() {
    cd "$BATS_TEST_TMPDIR"
    ln -s "$BATS_FILE_TMPDIR/d990.h5" "$BATS_FILE_TMPDIR/d.h5" .
}

# h5 FILE EXPR: evaluate a Python expression over the h5py File f
h5() { "$PYTHON" -c "import h5py,numpy as np,sys; f=h5py.File(sys.argv[1],'r'); print($2)" "$1"; }

U='usage: ae-train DATASET OUTDIR [DIMS] [--init FILE | --resume CKPT] [-a A] [--latent-activation A] [--l1-alpha X] [--lr X] [--wd X] [-b N] [-e N] [--val-split X] [--num-workers N] [--seed N] [--precision P] [--mlflow-uri URI] [--experiment NAME] [--log-model M] [--device D] [--threads N] [--patience N] [--no-shuffle] [--log-every-n-steps N] [-q]'

# torch_cmp ACT LATENT L1 PRECISION LOSS_TOL WEIGHT_TOL: ae-init, then 200 steps of ae-train
# (990 rows in batches of 50, the last one 40 rows, 10 epochs, dataset order, no validation)
# against tests/ref/torch_train.py on the same rows.
torch_cmp() {
    local l1=$3 l1num=$3
    [[ $l1 == None ]] && l1num=0
    rm -rf run init.ckpt
    ae-init 300,64,16,4 -o init.ckpt -a "$1" --latent-activation "$2" --seed 11
    ae-train d990.h5 run --init init.ckpt -b 50 -e 10 --no-shuffle --val-split 0 \
        --log-every-n-steps 1 --l1-alpha "$l1" --precision "$4" --threads 1 -q
    "$PYTHON" "$TESTS_DIR/ref/torch_train.py" d990.h5 init.ckpt run/checkpoints/last.ckpt \
        run/training_metrics.h5 --batch-size 50 --epochs 10 --l1-alpha "$l1num" \
        --precision "$4" --loss-tol "$5" --weight-tol "$6"
}

weights_equal() {   # bit-for-bit equality of state_dict and optimiser moments of two checkpoints
    "$PYTHON" -c '
import h5py, numpy as np, sys
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for g in ("state_dict", "optimizer/exp_avg", "optimizer/exp_avg_sq"):
    for k in a[g]:
        if not np.array_equal(a[g][k][()], b[g][k][()]):
            sys.exit(f"{g}/{k} differs")
for k in ("epoch", "global_step", "val_loss"):
    if not np.array_equal(a.attrs[k], b.attrs[k]):
        sys.exit(f"attribute {k} differs")' "$1" "$2"
}

@test "--help prints usage on stdout and exits 0" {
    run -0 --separate-stderr ae-train --help
    assert_line --index 0 "$U"
    assert_stderr ''
}

@test "matches PyTorch AdamW for 200 steps: relu, with and without L1" {
    torch_cmp relu linear None 32-true 1e-5 1e-4
    torch_cmp relu linear 0.001 32-true 1e-5 1e-4
}

@test "matches PyTorch AdamW for 200 steps: tanh, with and without L1" {
    torch_cmp tanh linear None 32-true 1e-5 1e-4
    torch_cmp tanh linear 0.001 32-true 1e-5 1e-4
}

@test "matches PyTorch AdamW for 200 steps: sigmoid, with and without L1" {
    torch_cmp sigmoid linear None 32-true 1e-5 1e-4
    torch_cmp sigmoid linear 0.001 32-true 1e-5 1e-4
}

@test "matches PyTorch AdamW for 200 steps: leaky_relu, with and without L1" {
    torch_cmp leaky_relu linear None 32-true 1e-5 1e-4
    torch_cmp leaky_relu linear 0.001 32-true 1e-5 1e-4
}

@test "matches PyTorch for every latent activation (with L1)" {
    torch_cmp tanh relu 0.001 32-true 1e-5 1e-4
    torch_cmp relu tanh 0.001 32-true 1e-5 1e-4
    torch_cmp leaky_relu sigmoid 0.001 32-true 1e-5 1e-4
}

@test "bf16-mixed matches torch.autocast(bfloat16) within 2e-2" {
    torch_cmp relu linear None bf16-mixed 2e-2 2e-2
    torch_cmp sigmoid linear 0.001 bf16-mixed 2e-2 2e-2
}

@test "16-mixed matches float16-rounded PyTorch with GradScaler within 2e-2" {
    torch_cmp relu linear None 16-mixed 2e-2 2e-2
    torch_cmp tanh linear 0.001 16-mixed 2e-2 2e-2
}

@test "writes checkpoints, config.yaml and training_metrics.h5; one line per epoch" {
    run -0 --separate-stderr ae-train d.h5 out 200,32,4 -e 3 --seed 5
    assert_output ''
    [[ "${stderr_lines[0]}" =~ ^epoch\ 1/3:\ train_loss\ [0-9.]+\ val_loss\ [0-9.]+\ \([0-9.]+\ s,\ [0-9]+\ samples/s\)$ ]]
    [[ "${#stderr_lines[@]}" == 3 ]]
    run -0 h5 out/training_metrics.h5 'f["epoch"][()].tolist(), len(f["val_loss"]), len(f["train_loss_step"]), f["step"][()].tolist(), f.attrs["format"]'
    # 800 training rows in batches of 32: 25 steps an epoch, logged every 50
    assert_output '[0, 1, 2] 3 1 [50] aekit-training-metrics'
    run -0 h5 out/training_metrics.h5 'sorted(f.keys())'
    assert_output "['epoch', 'epoch_seconds', 'learning_rate', 'samples_per_second', 'step', 'train_l1_loss', 'train_loss', 'train_loss_step', 'train_recon_loss', 'val_loss']"
    run -0 h5 out/checkpoints/last.ckpt 'f.attrs["epoch"], f.attrs["global_step"], sorted(f.keys()), f["optimizer"].attrs["step"], f["trainer"].attrs["next_epoch"]'
    assert_output "2 75 ['optimizer', 'state_dict', 'trainer'] 75 3"
    run -0 "$PYTHON" -c '
import yaml
c = yaml.safe_load(open("out/config.yaml"))
print(sorted(c), c["model"]["dims"], c["model"]["parameters"], c["dataset"]["shape"], c["dataset"]["nnz"])
h = c["hyperparameters"]
print(h["learning_rate"], h["weight_decay"], h["l1_alpha"], h["batch_size"], h["epochs"], h["val_split"], h["seed"], h["precision"], h["shuffle"])
print(sorted(c["environment"]))'
    assert_line --index 0 "['command', 'dataset', 'environment', 'hyperparameters', 'model', 'timestamp'] [200, 32, 4] 13324 [1000, 200] $(h5 d.h5 'f.attrs["nnz"]')"
    assert_line --index 1 '0.0003 0.01 None 32 3 0.2 5 32-true True'
    assert_line --index 2 "['aekit_version', 'blas', 'blas_threads', 'compiler', 'cpu', 'git_commit', 'hdf5', 'hostname', 'os']"
}

@test "-q silences; --log-every-n-steps 1 logs every step" {
    run -0 --separate-stderr ae-train d.h5 out 200,8,2 -e 2 -q --log-every-n-steps 1 -b 100
    assert_stderr ''
    run -0 h5 out/training_metrics.h5 'f["step"][()].tolist()'
    assert_output '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]'
}

@test "top-3 checkpoints are the three lowest val_loss so far, named as the Python tool" {
    run -0 ae-train d.h5 out 200,16,2 -e 8 -q --lr 0.01 -b 64
    run -0 "$PYTHON" -c '
import h5py, os
v = h5py.File("out/training_metrics.h5", "r")["val_loss"][()]
top = []
for e, x in enumerate(v):
    if len(top) < 3:
        top.append((x, e))
    else:
        w = max(top)
        if x < w[0]:
            top[top.index(w)] = (x, e)
want = sorted(f"autoencoder-epoch={e:02d}-val_loss={x:.4f}.ckpt" for x, e in top) + ["last.ckpt"]
have = sorted(n for n in os.listdir("out/checkpoints"))
print(want == have, have)
for x, e in top:
    f = h5py.File(f"out/checkpoints/autoencoder-epoch={e:02d}-val_loss={x:.4f}.ckpt", "r")
    assert f.attrs["epoch"] == e and f.attrs["val_loss"] == x'
    assert_output --partial 'True'
}

@test "--val-split 0: val_loss is NaN and the first three epochs are kept" {
    run -0 ae-train d.h5 out 200,8,2 -e 4 -q --val-split 0 -b 200
    run -0 ls out/checkpoints
    assert_output 'autoencoder-epoch=00-val_loss=nan.ckpt
autoencoder-epoch=01-val_loss=nan.ckpt
autoencoder-epoch=02-val_loss=nan.ckpt
last.ckpt'
}

@test "--patience stops when val_loss stops improving" {
    # --lr 0: the weights never change, so val_loss never improves after the first epoch
    run -0 --separate-stderr ae-train d.h5 out 200,8,2 -e 10 --lr 0 --patience 2 -b 200
    assert_stderr_line 'ae-train: early stopping: val_loss did not improve for 2 epochs'
    run -0 h5 out/training_metrics.h5 'f["epoch"][()].tolist()'
    assert_output '[0, 1, 2]'
}

@test "--num-workers does not change the result" {
    ae-train d.h5 a 200,16,2 -e 3 -q -b 16 --threads 1
    ae-train d.h5 b 200,16,2 -e 3 -q -b 16 --threads 1 --num-workers 3
    weights_equal a/checkpoints/last.ckpt b/checkpoints/last.ckpt
}

@test "datasets read batch by batch train exactly as datasets held in memory" {
    ae-train d.h5 a 200,16,2 -e 2 -q -b 16 --threads 1
    AEKIT_TRAIN_INMEM_MAX_BYTES=0 ae-train d.h5 b 200,16,2 -e 2 -q -b 16 --threads 1 --num-workers 2
    weights_equal a/checkpoints/last.ckpt b/checkpoints/last.ckpt
}

@test "interrupted mid-epoch and resumed: bit-for-bit the uninterrupted run" {
    ae-train d.h5 a 200,16,2 -e 4 -q -b 32 --threads 1 --l1-alpha 0.001
    AEKIT_INTERRUPT_AFTER_STEP=37 run -130 --separate-stderr \
        ae-train d.h5 b 200,16,2 -e 4 -q -b 32 --threads 1 --l1-alpha 0.001
    assert_stderr 'ae-train: interrupted in epoch 2/4 at batch 12/25; resume with: ae-train d.h5 b --resume b/checkpoints/last.ckpt'
    run -0 h5 b/checkpoints/last.ckpt 'f.attrs["epoch"], f.attrs["global_step"], f["trainer"].attrs["next_epoch"], f["trainer"].attrs["next_batch"]'
    assert_output '0 37 1 12'
    run -0 --separate-stderr ae-train d.h5 b --resume b/checkpoints/last.ckpt -q --threads 1
    assert_stderr ''
    weights_equal a/checkpoints/last.ckpt b/checkpoints/last.ckpt
    diff <(ls a/checkpoints) <(ls b/checkpoints)
    run -0 "$PYTHON" -c '
import h5py, numpy as np
a, b = h5py.File("a/training_metrics.h5", "r"), h5py.File("b/training_metrics.h5", "r")
print(all(np.array_equal(a[k][()], b[k][()]) for k in a if k not in ("epoch_seconds", "samples_per_second")))'
    assert_output 'True'
}

@test "resumed after an epoch with a larger --epochs: the same as one longer run" {
    ae-train d.h5 a 200,16,2 -e 4 -q --threads 1 --precision 16-mixed
    ae-train d.h5 b 200,16,2 -e 2 -q --threads 1 --precision 16-mixed
    ae-train d.h5 b --resume b/checkpoints/last.ckpt -e 4 -q --threads 1
    weights_equal a/checkpoints/last.ckpt b/checkpoints/last.ckpt
}

@test "SIGTERM finishes the step, saves last.ckpt and exits 130 with a resume hint" {
    ae-train d.h5 out 200,16,2 -e 1000000 -b 4 -q 2> err &
    local pid=$!
    for _ in $(seq 100); do [[ -e out/training_metrics.h5 ]] && break; sleep 0.1; done
    kill -TERM $pid
    local status=0
    wait $pid || status=$?
    [[ $status == 130 ]]
    run -0 cat err
    assert_output --regexp '^ae-train: interrupted (in|after) epoch [0-9]+/1000000.*; resume with: ae-train d.h5 out --resume out/checkpoints/last.ckpt$'
    local next
    next=$(h5 out/checkpoints/last.ckpt 'f["trainer"].attrs["next_epoch"]')
    run -0 --separate-stderr ae-train d.h5 out --resume out/checkpoints/last.ckpt -e $((next + 1)) -q
    run -0 h5 out/checkpoints/last.ckpt 'f.attrs["epoch"] == '"$next"
    assert_output 'True'
}

@test "kill -9 mid-run leaves only loadable files under their final names" {
    ae-train d.h5 out 200,64,16,2 -e 1000000 -b 2 -q 2> /dev/null &
    local pid=$!
    for _ in $(seq 100); do [[ -e out/checkpoints/last.ckpt ]] && break; sleep 0.1; done
    sleep 0.5
    kill -KILL $pid
    wait $pid || true
    run -0 "$PYTHON" -c '
import glob, h5py
n = 0
for p in glob.glob("out/checkpoints/*.ckpt") + ["out/training_metrics.h5"]:
    with h5py.File(p, "r") as f:
        assert f.attrs["format"] in ("aekit-checkpoint", "aekit-training-metrics"), p
        n += 1
print(n >= 3)'
    assert_output 'True'
    run -0 --separate-stderr ae-train d.h5 out --resume out/checkpoints/last.ckpt \
        -e $(( $(h5 out/checkpoints/last.ckpt 'f["trainer"].attrs["next_epoch"]') + 1 )) -q
}

@test "a second ae-train into the same OUTDIR is refused" {
    mkdir out
    exec 9> out/.ae-train.lock
    flock -n 9
    run -1 --separate-stderr ae-train d.h5 out 200,8,2 -e 1 -q
    assert_stderr 'ae-train: out: another ae-train is running in this directory (out/.ae-train.lock is locked)'
    exec 9>&-
    run -0 ae-train d.h5 out 200,8,2 -e 1 -q
}

@test "a new run refuses an OUTDIR with an earlier run's checkpoints" {
    ae-train d.h5 out 200,8,2 -e 1 -q
    run -1 --separate-stderr ae-train d.h5 out 200,8,2 -e 1 -q
    assert_stderr 'ae-train: out/checkpoints already holds checkpoints of an earlier run; continue it with --resume out/checkpoints/last.ckpt or choose another OUTDIR'
}

@test "usage errors exit 2 with the reason" {
    run -2 --separate-stderr ae-train
    assert_stderr "ae-train: missing DATASET and OUTDIR
$U"
    run -2 --separate-stderr ae-train d.h5
    assert_stderr "ae-train: missing OUTDIR
$U"
    run -2 --separate-stderr ae-train d.h5 o
    assert_stderr "ae-train: DIMS is required unless --init or --resume is given
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --init x --resume y
    assert_stderr "ae-train: --init and --resume cannot be used together
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,x
    assert_stderr "ae-train: DIMS: '200,x' is not a list of 2 to 16 positive integers like 2000,500,125,2
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 x
    assert_stderr "ae-train: too many arguments
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 -a foo
    assert_stderr "ae-train: --activation: 'foo' is not one of relu, tanh, sigmoid, leaky_relu
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --latent-activation leaky_relu
    assert_stderr "ae-train: --latent-activation: 'leaky_relu' is not one of linear, relu, tanh, sigmoid
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --precision 8
    assert_stderr "ae-train: --precision: '8' is not one of 32-true, bf16-mixed, 16-mixed
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --device tpu
    assert_stderr "ae-train: --device: 'tpu' is not one of auto, cpu, cuda
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --lr abc
    assert_stderr "ae-train: --learning-rate: 'abc' is not a number
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --wd -1
    assert_stderr "ae-train: --weight-decay: -1 is out of range (0..1e+06)
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --l1-alpha none
    assert_stderr "ae-train: --l1-alpha: 'none' is not a number
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --val-split 1
    assert_stderr "ae-train: --val-split: 1 is out of range (0..0.99)
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 -b 0
    assert_stderr "ae-train: --batch-size: 0 is out of range (1..1048576)
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 -e 0
    assert_stderr "ae-train: --epochs: 0 is out of range (1..1000000000)
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --num-workers 65
    assert_stderr "ae-train: --num-workers: 65 is out of range (0..64)
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --patience 0
    assert_stderr "ae-train: --patience: 0 is out of range (1..1000000000)
$U"
    run -2 --separate-stderr ae-train d.h5 o 200,2 --log-every-n-steps 0
    assert_stderr "ae-train: --log-every-n-steps: 0 is out of range (1..1000000000)
$U"
    assert_file_absent o
}

@test "runtime errors exit 1 with the reason, before OUTDIR is touched" {
    ae-init 300,8,2 -o init.ckpt
    run -1 --separate-stderr ae-train nope.h5 o 200,2
    assert_stderr 'ae-train: nope.h5: No such file or directory'
    run -1 --separate-stderr ae-train init.ckpt o 200,2
    assert_stderr 'ae-train: init.ckpt: not an aekit dataset (no CSR matrix /data, /indices, /indptr)'
    run -1 --separate-stderr ae-train d.h5 o 100,2
    assert_stderr "ae-train: d.h5 has 200 features but the model's input width d0 is 100"
    run -1 --separate-stderr ae-train d.h5 o --init init.ckpt
    assert_stderr "ae-train: d.h5 has 200 features but the model's input width d0 is 300"
    run -1 --separate-stderr ae-train d.h5 o --init d.h5
    assert_stderr "ae-train: d.h5: not an aekit checkpoint (format attribute is not 'aekit-checkpoint'); make one with ae-init or ae-train"
    run -1 --separate-stderr ae-train d.h5 o --init missing.ckpt
    assert_stderr 'ae-train: missing.ckpt: No such file or directory'
    run -1 --separate-stderr ae-train d990.h5 o 300,4,2 --init init.ckpt
    assert_stderr 'ae-train: DIMS does not match init.ckpt (its dims are 300,8,2)'
    run -1 --separate-stderr ae-train d990.h5 o --init init.ckpt -a tanh
    assert_stderr 'ae-train: --activation tanh does not match init.ckpt (its activation is relu)'
    run -1 --separate-stderr ae-train d990.h5 o --resume init.ckpt
    assert_stderr 'ae-train: init.ckpt: no optimizer/trainer state (an ae-init checkpoint? start with --init instead)'
    echo 'not hdf5' > bad.ckpt
    run -1 --separate-stderr ae-train d.h5 o --init bad.ckpt
    assert_stderr 'ae-train: bad.ckpt: not an HDF5 file (aekit checkpoints are made by ae-init and ae-train)'
    "$PYTHON" -c 'import h5py; f = h5py.File("v9.ckpt", "w"); f.attrs["format"] = "aekit-checkpoint"; f.attrs["format_version"] = 9'
    run -1 --separate-stderr ae-train d.h5 o --init v9.ckpt
    assert_stderr 'ae-train: v9.ckpt: checkpoint format version 9 is newer than this aekit supports (1); upgrade aekit'
    "$PYTHON" -c 'import h5py, numpy as np; f = h5py.File("empty.h5", "w"); f["data"] = np.zeros(0, np.float32); f["indices"] = np.zeros(0, np.int32); f["indptr"] = np.zeros(1, np.int64); f.attrs["shape"] = [0, 200]'
    run -1 --separate-stderr ae-train empty.h5 o 200,2
    assert_stderr 'ae-train: empty.h5: 0 rows leave no training rows with --val-split 0.2'
    assert_file_absent o
}

@test "--device cuda without CUDA (build or device) is a clear error" {
    if [[ -e /dev/nvidia0 ]]; then skip "a GPU is present"; fi
    run -1 --separate-stderr ae-train d.h5 o 200,2 --device cuda
    [[ "$stderr" == "ae-train: --device cuda: this build has no CUDA support (rebuild with CUDA=1)" ||
       "$stderr" == "ae-train: --device cuda: no usable CUDA device ("*")" ]]
    assert_file_absent o
}

@test "resuming refuses contradicting options, other data and finished runs" {
    ae-train d.h5 out 200,8,2 -e 2 -q
    run -1 --separate-stderr ae-train d.h5 out --resume out/checkpoints/last.ckpt --lr 0.001 -e 3
    assert_stderr 'ae-train: --learning-rate 0.001 differs from out/checkpoints/last.ckpt (0.0003); a resumed run keeps its settings'
    run -1 --separate-stderr ae-train d.h5 out --resume out/checkpoints/last.ckpt -b 64 -e 3
    assert_stderr 'ae-train: --batch-size 64 differs from out/checkpoints/last.ckpt (32); a resumed run keeps its settings'
    run -1 --separate-stderr ae-train d.h5 out --resume out/checkpoints/last.ckpt --precision bf16-mixed -e 3
    assert_stderr 'ae-train: --precision bf16-mixed differs from out/checkpoints/last.ckpt (32-true); a resumed run keeps its settings'
    run -1 --separate-stderr ae-train d.h5 out --resume out/checkpoints/last.ckpt
    assert_stderr 'ae-train: out/checkpoints/last.ckpt: the run already finished its 2 epochs (give a larger --epochs to continue)'
    "$PYTHON" "$TESTS_DIR/ref/make_dataset.py" d2.h5 --features 200 --rows 900
    run -1 --separate-stderr ae-train d2.h5 out --resume out/checkpoints/last.ckpt -e 3
    assert_stderr_line --partial 'ae-train: out/checkpoints/last.ckpt: was trained on a dataset with 1000 rows and'
}
