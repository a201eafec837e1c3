"""Dataset over feature dirs (`feats.scp`, `utt2num_frames`) plus the label files a model asks for.

Each data argument is a directory holding `feats.scp`. A label file (`text`, `utt2emo`, ...) is
read from that directory, or, if it is not there, from `<label_root>/<dir name>/` (so
`dump/fbank/train` takes its labels from `data/train`). A label file may cover only some of the
utterances: the others get `None` and are masked out of that label's loss.

With `audio=True` (a model whose upstream runs on waveforms), a data dir without feats.scp is read
as audio: its wav.scp (and segments) through the project's audio reader, resampled to 16 kHz
(logged once per rate); item 'feats' is then the waveform (S, 1), and `lengths`, which the length
filters and the batch budget use, count 10 ms frames (samples / 160).

With `speaker_stats=True` (a model with `frontend.normalize: speaker`), the mean and standard
deviation of every speaker's frames are computed per dir at construction (one pass over its
features, grouped by utt2spk), and each item carries its speaker's (`spk_stats`): a test set's
speakers are normalised with statistics of their own utterances (transductive, as is usual in
speaker-independent emotion recognition).

With `lexical=True` (a joint model whose lexical view reads a pretrained Whisper's decoder states,
`lexical.source: whisper_states`), each dir's `lexical.scp` (written by `jsertk dump-lexical`,
beside feats.scp or under `<label_root>/<dir name>/`) must cover every utterance, and each item
carries its (1 + tokens, D) states (`lexical`); `lexical_dirs` lists where they were found.

A task may mark training dirs as holding pseudo labels (`pseudo`, one flag per dir): every item
then carries its dir's flag, and `collate` gives the batch a boolean `pseudo` tensor (validation
data has none: its labels are true labels). A dir marked not `labelled` is read without any label
file (its utterances are unlabelled speech).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from jsertk.data.problems import DataDirError, Problem
from jsertk.data.table import read_unique

log = logging.getLogger("jsertk.dataset")

LabelParser = Callable[[str, str], Any]


AUDIO_RATE = 16000
AUDIO_FRAME = 160  # samples per 10 ms: the unit of `lengths` for audio


@dataclass
class _Entry:
    key: str
    value: str
    line: int


@dataclass
class FilterReport:
    too_short: int = 0
    too_long: int = 0
    longest: int = 0
    without_labels: dict[str, int] = field(default_factory=dict)


def find_label_file(feat_dir: Path, name: str, label_root: str | os.PathLike | None) -> Path | None:
    for cand in (feat_dir / name, Path(label_root) / feat_dir.name / name if label_root else None):
        if cand is not None and cand.is_file():
            return cand
    return None


class FeatsDataset(torch.utils.data.Dataset):
    """Utterances of one or more feature dirs; item i is {'utt', 'feats' (T, D) float32, 'labels'}."""

    def __init__(self, dirs: Sequence[str | os.PathLike], label_parsers: dict[str, LabelParser], *,
                 label_root: str | os.PathLike | None = "data", min_frames: int = 1, max_frames: int = 0,
                 pseudo: Sequence[bool] | None = None, labelled: Sequence[bool] | None = None,
                 audio: bool = False, speaker_stats: bool = False, lexical: bool = False):
        import kaldiio

        self.label_names = list(label_parsers)
        self.dirs = [Path(d) for d in dirs]
        for name, per_dir in (("pseudo", pseudo), ("labelled", labelled)):
            if per_dir is not None and len(per_dir) != len(self.dirs):
                raise ValueError(f"{len(per_dir)} {name} for {len(self.dirs)} data dirs")
        # per utterance, only when the dirs are flagged
        self.pseudo: list[bool] | None = [] if pseudo is not None else None
        self.utts: list[str] = []
        self.set_ids: list[int] = []
        self.lengths: list[int] = []
        self.locations: list[str] = []
        self.audio_readers: dict[int, Any] = {}  # set id -> UtteranceAudio, for dirs read as audio
        self._resampled: set[int] = set()
        self.labels: dict[str, list[Any]] = {n: [] for n in self.label_names}
        self.report = FilterReport()
        self.lexical_locations: list[str] | None = [] if lexical else None
        self.lexical_dirs: list[Path] = []
        owner: dict[str, Path] = {}
        for set_id, d in enumerate(self.dirs):
            scp = d / "feats.scp"
            if not scp.is_file() and audio and (d / "wav.scp").is_file():
                entries, frames = self._audio_entries(d, set_id)
                scp = d / "wav.scp"
            elif not scp.is_file():
                what = "feats.scp, or wav.scp for a model whose upstream reads audio" if audio else "feats.scp"
                raise DataDirError([Problem(scp, 0, f"file not found (a data argument must hold {what})",
                                            "missing")])
            else:
                entries = read_unique(scp)
                frames = self._num_frames(d, entries)
            lex = self._lexical_entries(d, label_root) if lexical else None
            read = labelled is None or labelled[set_id]
            labels = {n: self._read_labels(d, n, p, label_root) if read else {} for n, p in label_parsers.items()}
            for e in entries:
                if e.key in owner:
                    raise DataDirError([Problem(scp, e.line, f"utterance '{e.key}' also in {owner[e.key]}",
                                                "duplicate")])
                owner[e.key] = scp
                n = frames[e.key]
                self.report.longest = max(self.report.longest, n)
                if n < min_frames:
                    self.report.too_short += 1
                    continue
                if max_frames and n > max_frames:
                    self.report.too_long += 1
                    continue
                self.utts.append(e.key)
                self.set_ids.append(set_id)
                self.lengths.append(n)
                self.locations.append(e.value)
                if lex is not None:
                    if e.key not in lex:
                        raise DataDirError([Problem(self.lexical_dirs[-1] / "lexical.scp", 0,
                                                    f"no decoder states for utterance '{e.key}' of {scp}; run "
                                                    "`jsertk dump-lexical` on this dir's data again", "missing")])
                    self.lexical_locations.append(lex[e.key])
                if self.pseudo is not None:
                    self.pseudo.append(bool(pseudo[set_id]))
                for name in self.label_names:
                    self.labels[name].append(labels[name].get(e.key))
        for name in self.label_names:
            missing = sum(v is None for v in self.labels[name])
            if missing:
                self.report.without_labels[name] = missing
        if not self.utts:
            raise ValueError(f"no utterances left in {', '.join(map(str, self.dirs))} after length filtering "
                             f"({self.report.too_short} under {min_frames} frames, {self.report.too_long} over "
                             f"{max_frames} frames)")
        self._load = kaldiio.load_mat
        self.speaker_stats: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] | None = None
        if speaker_stats:
            self._compute_speaker_stats(label_root)
        self.input_dim = int(self[0]["feats"].shape[1])

    def _lexical_entries(self, d: Path, label_root) -> dict[str, str]:
        path = find_label_file(d, "lexical.scp", label_root)
        if path is None:
            where = f" (nor under {Path(label_root) / d.name})" if label_root else ""
            raise DataDirError([Problem(d / "lexical.scp", 0, f"file not found{where}: the model's lexical view "
                                        "reads Whisper decoder states (lexical.source: whisper_states); write them "
                                        f"with `jsertk dump-lexical DATA {d} --whisper DIR`", "missing")])
        self.lexical_dirs.append(path.parent)
        return {e.key: e.value for e in read_unique(path)}

    def _compute_speaker_stats(self, label_root) -> None:
        """Mean and standard deviation of every speaker's frames, per dir (utt2spk beside the features
        or under label_root)."""
        self.utt_speakers: list[str] = []
        for set_id, d in enumerate(self.dirs):
            if set_id in self.audio_readers:
                raise DataDirError([Problem(d / "feats.scp", 0, "speaker normalisation (frontend.normalize: "
                                            "speaker) needs features, not audio: dump the upstream's states "
                                            "(jsertk dump-upstream) or use another normalisation", "missing")])
        owners = {}
        for set_id, d in enumerate(self.dirs):
            path = find_label_file(d, "utt2spk", label_root)
            if path is None:
                raise DataDirError([Problem(d / "utt2spk", 0, "file not found (frontend.normalize: speaker needs "
                                            "each utterance's speaker)", "missing")])
            owners[set_id] = {e.key: e.value for e in read_unique(path)}
        sums: dict[tuple[int, str], list] = {}

        def add(key, location):
            x = np.asarray(self._load(location), dtype=np.float64)
            acc = sums.setdefault(key, [0.0, 0.0, 0])
            acc[0] = acc[0] + x.sum(0)
            acc[1] = acc[1] + (x * x).sum(0)
            acc[2] += len(x)

        for i, (utt, set_id) in enumerate(zip(self.utts, self.set_ids)):
            spk = owners[set_id].get(utt)
            if spk is None:
                raise DataDirError([Problem(find_label_file(self.dirs[set_id], "utt2spk", label_root), 0,
                                            f"utterance '{utt}' has no speaker (frontend.normalize: speaker)",
                                            "missing")])
            self.utt_speakers.append(spk)
        for set_id, d in enumerate(self.dirs):
            source = d / "speaker_stats_from"  # a decoding part: statistics of its whole dir
            if source.is_file():
                whole = Path(source.read_text(encoding="utf-8").strip())
                spk_of = {e.key: e.value for e in read_unique(whole / "utt2spk")}
                wanted = set(owners[set_id].values())
                for e in read_unique(whole / "feats.scp"):
                    if spk_of.get(e.key) in wanted:
                        add((set_id, spk_of[e.key]), e.value)
            else:
                for i in (k for k, s in enumerate(self.set_ids) if s == set_id):
                    add((set_id, self.utt_speakers[i]), self.locations[i])
        self.speaker_stats = {}
        for key, (s1, s2, n) in sums.items():
            mean = s1 / n
            var = np.maximum(s2 / n - mean * mean, 0.0)
            self.speaker_stats[key] = (mean.astype(np.float32), np.sqrt(var + 1e-5).astype(np.float32))

    def _audio_entries(self, d: Path, set_id: int) -> tuple[list[_Entry], dict[str, int]]:
        """The utterances of a data dir read as audio, and their lengths in 10 ms frames."""
        from jsertk.data.datadir import DataDir
        from jsertk.data.info import utt_durations
        from jsertk.features.audio import UtteranceAudio

        data = DataDir(d)
        reader = UtteranceAudio(data)
        self.audio_readers[set_id] = reader
        utts = sorted(data.utt2spk())
        known = utt_durations(data, read_audio=True)
        if known is not None:
            frames = {u: int(known[0][u] * 100) for u in utts}
        else:
            log.warning("%s: no utt2dur or readable headers; reading every utterance's audio to get its length", d)
            frames = {}
            for u in utts:
                samples, rate = reader.read(u)
                frames[u] = int(samples.size * 100 / rate)
        return [_Entry(u, u, k + 1) for k, u in enumerate(utts)], frames

    @staticmethod
    def _num_frames(d: Path, entries) -> dict[str, int]:
        nf = d / "utt2num_frames"
        if nf.is_file():
            frames = {e.key: int(e.value) for e in read_unique(nf)}
            missing = [e.key for e in entries if e.key not in frames]
            if missing:
                raise DataDirError([Problem(nf, 0, f"no frame count for {len(missing)} utterances of feats.scp "
                                                   f"(first: '{missing[0]}')", "missing")])
            return frames
        import kaldiio

        log.warning("%s: no utt2num_frames; reading every feature matrix to get its length", d)
        return {e.key: int(kaldiio.load_mat(e.value).shape[0]) for e in entries}

    @staticmethod
    def _read_labels(d: Path, name: str, parse: LabelParser, label_root) -> dict[str, Any]:
        path = find_label_file(d, name, label_root)
        if path is None:
            log.info("%s: no '%s' file (also not under %s): its utterances have no %s labels", d, name,
                     label_root, name)
            return {}
        out: dict[str, Any] = {}
        problems: list[Problem] = []
        if hasattr(parse, "begin_file"):  # a parser that joins a file beside this one (utt2spk -> spk2gender)
            parse.begin_file(path)
        for e in read_unique(path):
            try:
                out[e.key] = parse(e.key, e.value)
            except ValueError as err:
                problems.append(Problem(path, e.line, f"'{e.key}': {err}", "format"))
        if problems:
            raise DataDirError(problems)
        return out

    def __len__(self) -> int:
        return len(self.utts)

    def _read_audio(self, i: int) -> np.ndarray:
        from jsertk.features.speed import resample

        samples, rate = self.audio_readers[self.set_ids[i]].read(self.utts[i])
        if rate != AUDIO_RATE:
            if rate not in self._resampled:
                self._resampled.add(rate)
                log.info("%s: resampling %d Hz audio to %d Hz (first: utterance '%s')",
                         self.dirs[self.set_ids[i]], rate, AUDIO_RATE, self.utts[i])
            samples = resample(samples, rate, AUDIO_RATE)
        return samples[:, None]

    def __getitem__(self, i: int) -> dict:
        if self.set_ids[i] in self.audio_readers:
            feats = self._read_audio(i)
        else:
            try:
                feats = np.asarray(self._load(self.locations[i]), dtype=np.float32)
            except Exception as e:
                raise ValueError(f"utterance '{self.utts[i]}': cannot read features at {self.locations[i]}: "
                                 f"{e}") from None
        item = {"utt": self.utts[i], "feats": feats, "labels": {n: self.labels[n][i] for n in self.label_names}}
        if self.lexical_locations is not None:
            try:
                item["lexical"] = np.asarray(self._load(self.lexical_locations[i]), dtype=np.float32)
            except Exception as e:
                raise ValueError(f"utterance '{self.utts[i]}': cannot read its decoder states at "
                                 f"{self.lexical_locations[i]}: {e}") from None
        if self.speaker_stats is not None:
            item["spk_stats"] = self.speaker_stats[(self.set_ids[i], self.utt_speakers[i])]
        if self.pseudo is not None:
            item["pseudo"] = self.pseudo[i]
        return item

    def drop_shorter_than(self, min_frames: int) -> int:
        """Remove utterances under `min_frames` (counted as too short); returns how many went."""
        keep = [i for i, n in enumerate(self.lengths) if n >= min_frames]
        removed = len(self.lengths) - len(keep)
        if removed:
            for name in ("utts", "set_ids", "lengths", "locations", "lexical_locations", "pseudo", "utt_speakers"):
                if getattr(self, name, None) is not None:
                    setattr(self, name, [getattr(self, name)[i] for i in keep])
            self.labels = {n: [v[i] for i in keep] for n, v in self.labels.items()}
            self.report.too_short += removed
        return removed

    def describe(self) -> str:
        r = self.report
        parts = [f"{len(self)} utterances from {', '.join(map(str, self.dirs))}"]
        if r.too_short or r.too_long:
            parts.append(f"filtered {r.too_short} too short and {r.too_long} too long (longest {r.longest} frames)")
        parts += [f"{n} without {name}" for name, n in r.without_labels.items()]
        return "; ".join(parts)


def collate(items: list[dict], label_names: Sequence[str]) -> dict:
    """Pad a list of dataset items into a batch.

    feats (B, T, D) zero-padded and feat_lens (B); for each label `name`: `name` (sequences padded
    with -1, plus `name_lens`; scalars/tuples as tensors with -1/0 fillers) and `name_mask` (B) bool;
    `pseudo` (B) bool when the items carry their dir's pseudo-label flag; `lexical` (B, L, D)
    zero-padded and `lexical_lens` (B) when they carry decoder states.
    """
    lens = torch.tensor([it["feats"].shape[0] for it in items], dtype=torch.long)
    dim = items[0]["feats"].shape[1]
    feats = torch.zeros(len(items), int(lens.max()), dim)
    for k, it in enumerate(items):
        feats[k, : it["feats"].shape[0]] = torch.tensor(it["feats"])
    batch: dict[str, Any] = {"utts": [it["utt"] for it in items], "feats": feats, "feat_lens": lens}
    if "pseudo" in items[0]:
        batch["pseudo"] = torch.tensor([it["pseudo"] for it in items], dtype=torch.bool)
    if "lexical" in items[0]:
        lex_lens = torch.tensor([it["lexical"].shape[0] for it in items], dtype=torch.long)
        lex = torch.zeros(len(items), int(lex_lens.max()), items[0]["lexical"].shape[1])
        for k, it in enumerate(items):
            lex[k, : it["lexical"].shape[0]] = torch.from_numpy(it["lexical"])
        batch["lexical"], batch["lexical_lens"] = lex, lex_lens
    if "spk_stats" in items[0]:  # each utterance's speaker's mean and std (frontend.normalize: speaker)
        batch["spk_mean"] = torch.from_numpy(np.stack([it["spk_stats"][0] for it in items]))
        batch["spk_std"] = torch.from_numpy(np.stack([it["spk_stats"][1] for it in items]))
    for name in label_names:
        values = [it["labels"][name] for it in items]
        batch[f"{name}_mask"] = torch.tensor([v is not None for v in values])
        sample = next((v for v in values if v is not None), None)
        if sample is None or isinstance(sample, list):
            seqs = [v or [] for v in values]
            y_lens = torch.tensor([len(s) for s in seqs], dtype=torch.long)
            ys = torch.full((len(items), max(1, int(y_lens.max()))), -1, dtype=torch.long)
            for k, s in enumerate(seqs):
                ys[k, : len(s)] = torch.tensor(s, dtype=torch.long)
            batch[name], batch[f"{name}_lens"] = ys, y_lens
        elif isinstance(sample, int):
            batch[name] = torch.tensor([-1 if v is None else v for v in values], dtype=torch.long)
        else:
            width = len(sample) if isinstance(sample, (tuple, list)) else 0
            filler = (0.0,) * width if width else 0.0
            batch[name] = torch.tensor([filler if v is None else v for v in values], dtype=torch.float32)
    return batch
