set -e
data=$1 epochs=$2 lr=$3 out=$4
shift 4
echo "training on $(wc -l < "$data/rows.csv") rows for $epochs epochs at $lr $*"
echo "model epochs=$epochs lr=$lr $*" > "$out/model.txt"
