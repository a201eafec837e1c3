"""Late fusion of emotion decodes: the posteriors of several decode dirs of one set of utterances,
averaged per utterance (`jsertk fuse-posteriors OUT DEC... --data DATA`).

Two uses, one rule:
- test-time augmentation: DATA decoded as it is and its speed-perturbed (or noisy) copies decoded
  alike; a copy's utterance id is a prefix ending in '-' before the original's (`sp0.9-U`, as
  `jsertk speed-perturb` names them; `noise1-U`), so every copy is counted towards its original;
- system fusion: the decodes of other models of the same utterances (fbank and upstream models,
  say), whose ids are DATA's own.

Every posterior vector counts once: an utterance decoded as itself and as two copies averages three
vectors, whichever decode dirs they are in. Every decode dir must list the same classes in the same
order (classes.txt), every one of its utterances must be a DATA utterance or a copy of one, and every
DATA utterance must have a vector in every decode dir; anything else is an error naming the dir and
the utterance, and nothing is written. Only the fused emotion posteriors are written (emo_post.ark/
.scp, hyp.emo, classes.txt, decode.json naming DATA); transcripts, single-view heads and dimensions
are not fused.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from jsertk.utils.errors import InputError


def original_of(utt: str, originals: set[str]) -> str | None:
    """The DATA utterance `utt` is, or is a copy of (`<prefix>-<utt>`: the longest such suffix);
    None when it is neither."""
    if utt in originals:
        return utt
    start = utt.find("-")
    while start >= 0:
        if utt[start + 1:] in originals:
            return utt[start + 1:]
        start = utt.find("-", start + 1)
    return None


def read_classes(dec: Path) -> list[str]:
    path = dec / "classes.txt"
    if not path.is_file():
        raise InputError(f"{path}: not found; fuse-posteriors reads the decode dirs of `jsertk decode`")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fuse_decode_dirs(out: str | Path, decs: Sequence[str | Path], data: str | Path) -> dict:
    """Average the emotion posteriors of `decs` per utterance of the data dir `data` into the decode
    dir `out` (see the module doc); returns its decode.json summary."""
    from jsertk.data.table import read_entries
    from jsertk.features.io import read_scp
    from jsertk.infer.ser import SerResult, write_ser_outputs

    out, data, decs = Path(out), Path(data), [Path(d) for d in decs]
    if not decs:
        raise InputError("fuse-posteriors needs at least one decode dir")
    if not (data / "utt2spk").is_file():
        raise InputError(f"{data / 'utt2spk'}: not found; --data is the data dir whose utterances are fused")
    originals = [e.key for e in read_entries(data / "utt2spk")]
    known = set(originals)
    classes = read_classes(decs[0])
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    per_dir = []
    for dec in decs:
        if read_classes(dec) != classes:
            raise InputError(f"{dec / 'classes.txt'}: classes {read_classes(dec)}, but {decs[0] / 'classes.txt'} "
                             f"has {classes}: fusion averages posteriors over the same classes")
        scp = dec / "emo_post.scp"
        if not scp.is_file():
            raise InputError(f"{scp}: not found; decode with `jsertk decode` first")
        seen: set[str] = set()
        vectors = 0
        for utt, post in read_scp(scp):
            orig = original_of(utt, known)
            if orig is None:
                raise InputError(f"{scp}: utterance '{utt}' is neither an utterance of {data} nor a copy of one "
                                 "('<prefix>-<utterance>')")
            post = np.asarray(post, dtype=np.float64).reshape(-1)
            if post.shape[0] != len(classes):
                raise InputError(f"{scp}: utterance '{utt}' has {post.shape[0]} posteriors for {len(classes)} classes")
            sums[orig] = sums.get(orig, 0.0) + post
            counts[orig] = counts.get(orig, 0) + 1
            seen.add(orig)
            vectors += 1
        missing = [u for u in originals if u not in seen]
        if missing:
            raise InputError(f"{scp}: no posteriors for {len(missing)} utterances of {data} (first: '{missing[0]}'); "
                             "every decode dir must cover every utterance")
        per_dir.append({"decode_dir": str(dec), "vectors": vectors})
    results = []
    for utt in sorted(originals, key=str.encode):
        post = (sums[utt] / counts[utt]).astype(np.float32)
        results.append(SerResult(utt, classes[int(post.argmax())], post, {}, None, None, 0.0))
    copies = sorted(set(counts.values()))
    summary = {"fused": per_dir, "vectors_per_utterance": copies[0] if len(copies) == 1 else copies,
               "data": str(data), "utterances": len(results)}
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("hyp.text", "hyp_acoustic.emo", "hyp_lexical.emo", "hyp.dim", "summary.json"):
        (out / stale).unlink(missing_ok=True)  # an earlier decode's, not this fusion's
    write_ser_outputs(results, classes, out, summary)  # each file atomically, decode.json last
    return summary
