"""Reference ItemKNN batch inference with numpy/scipy, the yardstick of bench/cf-batch.ts.

Reads a dataset folder's interactions.csv (USER_ID,ITEM_ID,... header first), builds the binary
user x item matrix, sparse cosine item-item similarities (X^T X / (|i| |j|)), keeps the top-100
neighbours of every item, scores every user of a JSON Lines input (X_u . S), removes the user's
items and writes the top-10 per user in the Amazon Personalize batch-inference JSON Lines format.

    python3 bench/itemknn-reference.py DATA_DIR users.jsonl out.jsonl [K=100] [N=10]
"""
import csv
import json
import sys

import numpy as np
import scipy.sparse as sp


def main() -> None:
    data_dir, input_path, output_path = sys.argv[1:4]
    k = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 10

    user_ids: dict[str, int] = {}
    item_ids: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    with open(f"{data_dir}/interactions.csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        ui, ii = header.index("USER_ID"), header.index("ITEM_ID")
        for rec in reader:
            rows.append(user_ids.setdefault(rec[ui], len(user_ids)))
            cols.append(item_ids.setdefault(rec[ii], len(item_ids)))
    x = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (np.array(rows), np.array(cols))),
        shape=(len(user_ids), len(item_ids)),
    )
    x.data[:] = 1.0  # duplicates summed by the constructor: binarise

    # sparse cosine similarity, diagonal removed
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    inv = sp.diags(1.0 / norms)
    sim = (inv @ (x.T @ x) @ inv).tocsr()
    sim.setdiag(0)
    sim.eliminate_zeros()

    # top-k neighbours per item (row i: the items most similar to i)
    indptr, indices, data = [0], [], []
    for i in range(sim.shape[0]):
        s, e = sim.indptr[i], sim.indptr[i + 1]
        vals = sim.data[s:e]
        idx = sim.indices[s:e]
        if e - s > k:
            part = np.argpartition(-vals, k)[:k]
            vals, idx = vals[part], idx[part]
        indices.append(idx)
        data.append(vals)
        indptr.append(indptr[-1] + len(idx))
    knn = sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=sim.shape
    )

    names = np.array(list(item_ids.keys()))
    with open(input_path) as fin, open(output_path, "w") as fout:
        wanted = [json.loads(line)["userId"] for line in fin if line.strip()]
        known = [user_ids[u] for u in wanted if u in user_ids]
        scores = (x[known] @ knn).toarray()
        scores[x[known].nonzero()] = -np.inf
        top = np.argpartition(-scores, n, axis=1)[:, :n]
        at = 0
        for u in wanted:
            if u not in user_ids:
                fout.write(json.dumps({"input": {"userId": u}, "output": None, "error": "unknown user"}) + "\n")
                continue
            row = top[at]
            order = row[np.argsort(-scores[at, row])]
            out = {"recommendedItems": names[order].tolist(), "scores": [float(v) for v in scores[at, order]]}
            fout.write(json.dumps({"input": {"userId": u}, "output": out, "error": None}) + "\n")
            at += 1


if __name__ == "__main__":
    main()
