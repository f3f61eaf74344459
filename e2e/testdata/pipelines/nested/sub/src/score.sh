set -e
echo "scoring $(cat "$1/model.txt")"
echo "scored $(cat "$1/model.txt")" > "$2/scores.txt"
