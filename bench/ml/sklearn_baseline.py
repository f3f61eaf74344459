#!/usr/bin/python3
"""scikit-learn side of the tabular-learner benchmark (bench/ml).

Run with Debian's python (/usr/bin/python3, python3-sklearn). The Go bench
calls it once per measurement so that Go and scikit-learn runs interleave;
each call prints one JSON object on stdout.

Tasks:
  bank-gbdt      HistGradientBoostingClassifier on bank marketing: fit time, test AUC
  bank-logistic  StandardScaler + OneHotEncoder + LogisticRegression: fit time, test AUC
  synth-gbdt     HistGradientBoostingClassifier on the generated .npy data: fit time, AUC
  latency        single-row and 1000-row predict_proba latency for 100 and 500 trees
  info           library versions
"""
import argparse
import json
import pickle
import resource
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load_bank(train_path, test_path):
    tr = pd.read_csv(train_path)
    te = pd.read_csv(test_path)
    y = (tr.pop("y") == "yes").astype(int).values
    yt = (te.pop("y") == "yes").astype(int).values
    return tr, y, te, yt


def bank_ordinal(tr, te):
    """Categorical columns as ordinal codes (unknown -> NaN), native categorical."""
    cats = [c for c in tr.columns if tr[c].dtype == object]
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
    X, Xt = tr.copy(), te.copy()
    X[cats] = enc.fit_transform(tr[cats])
    Xt[cats] = enc.transform(te[cats])
    mask = np.array([c in cats for c in X.columns])
    return X.values.astype(np.float64), Xt.values.astype(np.float64), mask


def hgb(args, trees, mask=None):
    return HistGradientBoostingClassifier(
        max_iter=trees, learning_rate=args.lr, max_leaf_nodes=args.leaves,
        max_bins=args.bins, min_samples_leaf=args.min_leaf, l2_regularization=0.0,
        early_stopping=False, categorical_features=mask, random_state=0)


def timed_fit(model, X, y):
    c0, t0 = cpu(), time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - t0, cpu() - c0


def task_bank_gbdt(args):
    tr, y, te, yt = load_bank(args.bank_train, args.bank_test)
    X, Xt, mask = bank_ordinal(tr, te)
    m = hgb(args, args.trees, mask)
    wall, cpu_s = timed_fit(m, X, y)
    return {"fit_s": wall, "fit_cpu_s": cpu_s, "auc": roc_auc_score(yt, m.predict_proba(Xt)[:, 1])}


def task_bank_logistic(args):
    tr, y, te, yt = load_bank(args.bank_train, args.bank_test)
    cats = [c for c in tr.columns if tr[c].dtype == object]
    nums = [c for c in tr.columns if c not in cats]
    ct = ColumnTransformer([("num", StandardScaler(), nums),
                            ("cat", OneHotEncoder(handle_unknown="ignore"), cats)])
    m = make_pipeline(ct, LogisticRegression(C=args.C, max_iter=5000, tol=1e-8))
    wall, cpu_s = timed_fit(m, tr, y)
    return {"fit_s": wall, "fit_cpu_s": cpu_s, "auc": roc_auc_score(yt, m.predict_proba(te)[:, 1])}


def task_synth_gbdt(args):
    X = np.load(args.synth_prefix + "_X.npy")
    y = np.load(args.synth_prefix + "_y.npy")
    Xt = np.load(args.synth_prefix + "_Xtest.npy")
    yt = np.load(args.synth_prefix + "_ytest.npy")
    m = hgb(args, args.trees)
    wall, cpu_s = timed_fit(m, X, y)
    return {"fit_s": wall, "fit_cpu_s": cpu_s, "auc": roc_auc_score(yt, m.predict_proba(Xt)[:, 1])}


def percentile(v, q):
    return float(np.percentile(np.array(v), q))


def task_latency(args):
    tr, y, te, yt = load_bank(args.bank_train, args.bank_test)
    X, Xt, mask = bank_ordinal(tr, te)
    batch = np.resize(Xt, (1000, Xt.shape[1]))
    out = {}
    for trees in (100, 500):
        m = hgb(args, trees, mask).fit(X, y)
        blob = pickle.dumps(m)
        t0 = time.perf_counter()
        pickle.loads(blob)
        load_s = time.perf_counter() - t0
        row = Xt[:1]
        for _ in range(20):
            m.predict_proba(row)
        single = []
        for i in range(args.single_reps):
            r = Xt[i % len(Xt):i % len(Xt) + 1]
            t0 = time.perf_counter()
            m.predict_proba(r)
            single.append(time.perf_counter() - t0)
        m.predict_proba(batch)
        batches = []
        for _ in range(args.batch_reps):
            t0 = time.perf_counter()
            m.predict_proba(batch)
            batches.append(time.perf_counter() - t0)
        out[str(trees)] = {
            "single_p50_s": percentile(single, 50), "single_p99_s": percentile(single, 99),
            "batch1000_p50_s": percentile(batches, 50), "pickle_bytes": len(blob), "pickle_load_s": load_s,
        }
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("task", choices=["bank-gbdt", "bank-logistic", "synth-gbdt", "latency", "info"])
    p.add_argument("--bank-train")
    p.add_argument("--bank-test")
    p.add_argument("--synth-prefix")
    p.add_argument("--trees", type=int, default=100)
    p.add_argument("--leaves", type=int, default=31)
    p.add_argument("--bins", type=int, default=255)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--min-leaf", type=int, default=20)
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--single-reps", type=int, default=1000)
    p.add_argument("--batch-reps", type=int, default=30)
    args = p.parse_args()
    if args.task == "info":
        res = {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
    else:
        res = {"bank-gbdt": task_bank_gbdt, "bank-logistic": task_bank_logistic,
               "synth-gbdt": task_synth_gbdt, "latency": task_latency}[args.task](args)
    json.dump(res, sys.stdout)
    print()


if __name__ == "__main__":
    main()
