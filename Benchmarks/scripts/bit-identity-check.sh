#!/bin/bash
# Bit-identity check across a refactoring: the same 13 configurations (every granularity, base and meta rule, both
# modes, flush/exact, batch 1 and 4, all stream kinds) with a reference binary and the current one; compares
# result.json (minus config and wall clock; task diagnostics are additive), curve.csv and the reference trace's
# columns. Then every learning-rate-free competitor (`--optimizer`, and Mechanic on its SGD base) on label-permuted
# Fashion-MNIST: mlp:64 and mlp:256,256 at batch 1 (outer-product gradients), mlp:64 at batch 4 (dense), and mlp:64
# with weight decay and the method's other branches (slice_p, decouple, momentum, averaging, store_delta, clipping).
# Usage: OLD=/path/to/old/mobench bash Benchmarks/scripts/bit-identity-check.sh (from the repo root);
# ONLY=competitors runs only the competitor configurations, ONLY=metaoptimize only the first 13.
OLD=${OLD:?set OLD to the reference mobench binary}
NEW=${NEW:-.build/release/mobench}
out=${OUT:-/tmp/mobench-bit-identity}; rm -rf $out; mkdir -p $out
common="--data data/fashion-mnist --tasks 2 --task-length 300 --log-every 50 --test-samples 200"
configs=(
 "--model mlp:64,40 --base adamw --meta adam --granularity scalar"
 "--model mlp:64,40 --base adamw --meta adam --granularity last-layer-and-others --mode standard"
 "--model mlp:64,40 --base lion --meta lion --granularity layerwise"
 "--model mlp:30,13 --base sgdm --meta mnm --granularity nodewise"
 "--model mlp:64,40 --base rmsprop --meta rmsprop --granularity weightwise --subnormals exact"
 "--model mlp:64,40 --base sgd --meta sgd --granularity blocks:4,2"
 "--model mlp:64,40 --base adamw --meta hypergradient --meta-step-size 0.01"
 "--model mlp:64,40 --base adamw --meta fixed --alpha0 0.001 --schedule cosine"
 "--model mlp:64,40 --base sgdm --meta adam --mode standard --weight-decay 0.01 --batch-size 4"
 "--model mlp:64,40 --base rmsprop --meta adam --mode standard --stream label-permuted"
 "--model linear --base sgd --meta idbd --granularity weightwise --alpha0 0.001"
 "--model simple-cnn --base adamw --meta adam --task-length 100 --stream label-permuted"
 "--model mlp:64,40 --base lion --meta rmsprop --mode standard --meta-weight-decay 0.1 --stream class-incremental --classes-per-task 2 --tasks 2 --task-length 200"
)
competitors="prodigy dadapt-adam dadapt-sgd dadapt-adagrad dadapt-lion dog ldog schedule-free-adamw schedule-free-sgd mechanic cocob kt"
# Per method, the settings that take its other code paths (coupled/decoupled decay, momentum, slices, averaging, …).
declare -A variant=(
 [prodigy]="--weight-decay 0.01 --slice-p 11" [dadapt-adam]="--weight-decay 0.01" [dadapt-sgd]="--weight-decay 0.01 --sgd-momentum 0.9"
 [dadapt-adagrad]="--weight-decay 0.01 --sgd-momentum 0.5" [dadapt-lion]="--weight-decay 0.1" [dog]="--weight-decay 0.01 --dog-average"
 [ldog]="--weight-decay 0.01" [schedule-free-adamw]="--weight-decay 0.01" [schedule-free-sgd]="--weight-decay 0.01"
 [mechanic]="--weight-decay 0.01 --store-delta" [cocob]="--weight-decay 0.01" [kt]="--weight-decay 0.01 --kt-clip-norm 1"
)
case ${ONLY:-all} in
 competitors) configs=() ;;
 metaoptimize) competitors="" ;;
esac
for m in $competitors; do
  configs+=("--optimizer $m --model mlp:64 --stream label-permuted")
  configs+=("--optimizer $m --model mlp:256,256 --stream label-permuted --task-length 150")
  configs+=("--optimizer $m --model mlp:64 --stream label-permuted --batch-size 4")
  configs+=("--optimizer $m --model mlp:64 --stream label-permuted ${variant[$m]}")
done
[ -n "$competitors" ] && configs+=("--optimizer mechanic --base sgd --model mlp:64 --stream label-permuted"
                                   "--optimizer mechanic --base sgd --sgd-momentum 0.9 --model mlp:64 --stream label-permuted --batch-size 4"
                                   "--optimizer mechanic --base sgd --sgd-momentum 0.9 --weight-decay 0.01 --model mlp:64 --stream label-permuted"
                                   "--optimizer mechanic --weight-decay 0.01 --model mlp:256,256 --stream label-permuted --task-length 150")
fail=0
for k in "${!configs[@]}"; do
  for b in old new; do
    bin=$OLD; [ $b = new ] && bin=$NEW
    $bin run $common ${configs[$k]} --out $out/$k-$b --trace $out/$k-$b/trace.csv --progress none > /dev/null 2> $out/$k-$b.err || echo "run $k $b failed: $(cat $out/$k-$b.err)"
  done
  strip() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k,None) for k in ('config','wall_seconds','steps_per_second','git_commit','finished_at')]; [t.pop('diagnostics',None) for t in d['tasks']]; print(json.dumps(d,sort_keys=True))" "$1"; }
  # The new trace has extra meta_gradient columns; compare the old trace's columns.
  common() { python3 -c "
import csv,sys
old=list(csv.reader(open(sys.argv[1]))); new=list(csv.reader(open(sys.argv[2])))
idx=[new[0].index(h) for h in old[0]]
print(all(len(o)==len(old[0]) and [n[i] for i in idx]==o for o,n in zip(old,new)) and len(old)==len(new))" "$1" "$2"; }
  if [ "$(strip $out/$k-old/result.json)" == "$(strip $out/$k-new/result.json)" ] && cmp -s $out/$k-old/curve.csv $out/$k-new/curve.csv && [ "$(common $out/$k-old/trace.csv $out/$k-new/trace.csv)" == "True" ]; then
    echo "identical: ${configs[$k]}"
  else
    echo "DIFFERENT: ${configs[$k]}"; fail=1
  fi
done
exit $fail
