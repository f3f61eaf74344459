set -e
rows=$(wc -l < "$1/rows.txt")
echo "fit on $rows rows, $2 epochs at $3"
echo "model rows=$rows epochs=$2 rate=$3" > "$4/model.txt"
