#!/bin/bash
# Bit-identity check of the exact-Hessian trace (issue 13) across a change of its kernels: --hessian exact with
# both approximations, the SGD/SGDm/RMSProp/AdamW/Adagrad bases, scalar, last-layer-and-others and layerwise, batch 1 (the
# fused, factored path) and batch 4 (dense), and --hessian free, run with a reference binary and the current one;
# compares result.json (minus config and wall clock), curve.csv and trace.csv.
# Usage: OLD=/path/to/old/mobench bash Benchmarks/scripts/hessian-bit-identity-check.sh (from the repo root).
OLD=${OLD:?set OLD to the reference mobench binary}
NEW=${NEW:-.build/release/mobench}
out=${OUT:-/tmp/mobench-hessian-bit-identity}; rm -rf $out; mkdir -p $out
common="--data data/fashion-mnist --model mlp:64,40 --tasks 2 --task-length 200 --log-every 50 --test-samples 200"
configs=()
for base in sgd sgdm rmsprop adamw adagrad; do
  alpha=""; case $base in sgd|sgdm) alpha="--alpha0 0.01";; adagrad) alpha="--alpha0 0.003";; esac
  configs+=("--hessian exact --approximation 2x2 --base $base $alpha --meta adam --meta-step-size 1e-4 --granularity scalar")
  configs+=("--hessian exact --approximation l --base $base $alpha --meta sgd --meta-step-size 1e-3 --granularity last-layer-and-others")
done
configs+=("--hessian exact --approximation 2x2 --base adamw --meta adam --meta-step-size 1e-4 --granularity last-layer-and-others")
configs+=("--hessian exact --approximation l --base sgdm --meta adam --meta-step-size 1e-4 --granularity scalar")
configs+=("--hessian exact --approximation 2x2 --base adamw --meta adam --meta-step-size 1e-4 --batch-size 4")
configs+=("--hessian exact --approximation l --base sgd --alpha0 0.01 --meta sgd --meta-step-size 1e-3 --granularity last-layer-and-others --batch-size 4")
configs+=("--hessian exact --approximation 2x2 --base sgdm --alpha0 0.01 --meta adam --meta-step-size 1e-4 --granularity layerwise")
configs+=("--hessian exact --approximation 2x2 --base rmsprop --meta rmsprop --meta-step-size 1e-4 --model simple-cnn --task-length 60")
configs+=("--hessian free --base adamw --meta adam --granularity scalar")
configs+=("--hessian free --base sgd --meta adam --granularity last-layer-and-others")
strip() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k,None) for k in ('config','wall_seconds','steps_per_second','git_commit','finished_at')]; [t.pop('diagnostics',None) for t in d['tasks']]; print(json.dumps(d,sort_keys=True))" "$1"; }
fail=0
for k in "${!configs[@]}"; do
  for b in old new; do
    bin=$OLD; [ $b = new ] && bin=$NEW
    $bin run $common ${configs[$k]} --out $out/$k-$b --trace $out/$k-$b/trace.csv --progress none > /dev/null 2> $out/$k-$b.err \
      || echo "run $k $b failed: $(cat $out/$k-$b.err)"
  done
  if [ -f $out/$k-old/result.json ] && [ "$(strip $out/$k-old/result.json)" == "$(strip $out/$k-new/result.json)" ] \
     && cmp -s $out/$k-old/curve.csv $out/$k-new/curve.csv && cmp -s $out/$k-old/trace.csv $out/$k-new/trace.csv; then
    echo "identical: ${configs[$k]}"
  else
    echo "DIFFERENT: ${configs[$k]}"; fail=1
  fi
done
exit $fail
