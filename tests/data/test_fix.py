"""`fix` repairs what can be repaired, reports what it dropped and keeps a backup."""
from __future__ import annotations

from jsertk.data import DataDir, fix, validate


def test_fix_sorts_dedups_and_regenerates_spk2utt(data_dir):
    lines = (data_dir / "utt2spk").read_text().splitlines()
    (data_dir / "utt2spk").write_text("\n".join(reversed(lines + lines[:2])) + "\n")
    (data_dir / "spk2utt").unlink()
    report = fix(data_dir)
    assert validate(data_dir) == []
    assert report.kept == report.total == 9
    assert DataDir(data_dir).spk2utt()["spkA"] == ["spkA-utt000", "spkA-utt001", "spkA-utt002"]
    assert sum(p.kind == "duplicate" for p in report.removed_lines) == 2


def test_fix_drops_utterances_missing_required_files_and_says_why(data_dir):
    wav = [ln for ln in (data_dir / "wav.scp").read_text().splitlines() if not ln.startswith("spkB-utt001")]
    (data_dir / "wav.scp").write_text("\n".join(wav) + "\n")
    utts = DataDir(data_dir).utterances()
    (data_dir / "utt2num_frames").write_text("".join(f"{u} 50\n" for u in utts if u != "spkC-utt000"))
    report = fix(data_dir)
    assert report.kept == 7
    assert report.dropped_utts == {"no audio in wav.scp": 1, "no entry in utt2num_frames": 1}
    assert "dropped 1 utterances: no audio in wav.scp" in report.summary()
    kept = DataDir(data_dir)
    assert "spkB-utt001" not in kept.load("utt2emo") and "spkC-utt000" not in kept.raw("text")
    assert validate(data_dir) == []


def test_fix_keeps_partial_labels_and_drops_bad_label_lines(data_dir):
    (data_dir / "utt2emo").write_text("spkA-utt000 happy\nspkZ-utt000 sad\n")
    (data_dir / "utt2dim").write_text("spkA-utt000 1 2\nspkA-utt001 0.1 0.2 0.3\n")
    report = fix(data_dir)
    assert report.kept == 9
    d = DataDir(data_dir)
    assert d.load("utt2emo") == {"spkA-utt000": "happy"}
    assert d.load("utt2dim") == {"spkA-utt001": (0.1, 0.2, 0.3)}
    assert {p.kind for p in report.removed_lines} == {"malformed", "not kept"}
    assert validate(data_dir) == []


def test_fix_backs_up_originals_without_overwriting_earlier_backups(data_dir):
    original = (data_dir / "utt2spk").read_text()
    first = fix(data_dir).backup
    second = fix(data_dir).backup
    assert first.name == ".backup" and second.name == ".backup.1"
    assert (first / "utt2spk").read_text() == original


def test_fix_reports_ids_it_cannot_repair(data_dir):
    text = (data_dir / "utt2spk").read_text().replace("spkB-utt001 spkB", "spkB-utt001 spkC")
    (data_dir / "utt2spk").write_text(text)
    report = fix(data_dir)
    assert any("spkB-utt001" in str(p) for p in report.unfixable)
    assert "cannot fix" in report.summary()
