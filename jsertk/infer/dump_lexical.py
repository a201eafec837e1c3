"""`jsertk dump-lexical`: a pretrained Whisper's 1-best transcript and decoder states, once per utterance.

Whisper (a local WhisperForConditionalGeneration folder) is the ASR branch that feeds the joint
model's lexical view (`lexical.source: whisper_states`), frozen. For every utterance:
1. the encoder runs over its log-mel (`whisper_input`: `pad` to the 30 s window as Hugging Face
   runs it, or `crop`, the positional embedding cut to the input, cost in proportion to the audio);
2. `generate` decodes the 1-best (greedy, or beam search with `beam_size`);
3. one teacher-forced decoder pass over the prompt and that 1-best gives the decoder's final
   (layer-normed) states: the state at the last prompt token, then one per hypothesis token, so an
   empty hypothesis still has one vector. The probability Whisper gives each hypothesis token in
   that pass, averaged, is the transcript's confidence.

The states are written like features ((1 + tokens) x d_model float16 matrices, ark/scp, by the job
and merge machinery of compute-fbank), with `lexical_text` (the normalised 1-best, as
`decode-asr --whisper` writes it), `lexical_text_conf` and `lexical.yaml` (the Whisper folder, its
SHA-256 digest and the decoding options) beside them. Utterances over 30 s are decoded in 30 s
pieces whose tokens and states are joined.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from jsertk.features.audio import AudioError
from jsertk.tasks.upstream import LEXICAL_CONFIG, LEXICAL_TABLES, lexical_identity

RATE = 16000
WINDOW = 30 * RATE
MIN_SAMPLES = 400  # one 25 ms Whisper frame


@dataclass
class LexicalDumpConfig:
    config_name: ClassVar[str] = LEXICAL_CONFIG
    side_tables: ClassVar[tuple[str, ...]] = LEXICAL_TABLES
    path: str
    beam_size: int = 1  # 1 = greedy
    whisper_input: str = "pad"
    max_new_tokens: int = 128
    device: str = "cpu"
    sample_rate: int = RATE
    _identity: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._identity = lexical_identity(self.path, self.whisper_input, self.beam_size)

    def as_dict(self) -> dict:
        return dict(self._identity)

    def extractor(self) -> "LexicalExtractor":
        return LexicalExtractor(self)


class LexicalExtractor:
    """float samples at 16 kHz -> ((1 + tokens) x d_model float16 decoder states); after each call
    `side_values` holds that utterance's `lexical_text` and `lexical_text_conf`."""

    def __init__(self, config: LexicalDumpConfig):
        import torch

        from jsertk.infer.whisper_asr import normalize_text
        from jsertk.models.upstream import Upstream
        from jsertk.tasks.upstream import load_whisper_asr, whisper_encoder_output

        self.torch, self.normalize_text = torch, normalize_text
        self.base_model_output = whisper_encoder_output()
        self.device = torch.device(config.device)
        self.model, self.mel, self.tokenizer = load_whisper_asr(config.path)
        self.model.to(self.device)
        self.whisper_input = config.whisper_input
        self.encoder = Upstream("whisper", self.model.get_encoder(), mel_extractor=self.mel, whisper_input="crop")
        self.eos = int(self.model.config.eos_token_id)
        self.prompt = self._prompt_ids()
        self.beam_size, self.max_new_tokens = config.beam_size, config.max_new_tokens
        self.side_values: dict[str, str] = {}

    def _prompt_ids(self) -> list[int]:
        """<|startoftranscript|> and the forced tokens that follow it (language, task, no timestamps)."""
        gen = self.model.generation_config
        ids = [int(gen.decoder_start_token_id)]
        forced = sorted(getattr(gen, "forced_decoder_ids", None) or [])
        for pos, tok in forced:
            if pos == len(ids) and tok is not None:
                ids.append(int(tok))
        if len(ids) == 1 and getattr(gen, "no_timestamps_token_id", None) is not None:
            ids.append(int(gen.no_timestamps_token_id))
        return ids

    def piece(self, wave: np.ndarray) -> tuple[list[int], "torch.Tensor", "torch.Tensor"]:  # noqa: F821
        """(1-best token ids, decoder states (1 + tokens, D), each token's probability) of <= 30 s."""
        torch = self.torch
        BaseModelOutput = self.base_model_output

        if self.whisper_input == "pad":  # all 1500 positions of the 30 s window, as Whisper was trained
            feats = self.mel(wave, sampling_rate=RATE, return_tensors="pt")["input_features"]
            enc = self.model.get_encoder()(feats.to(self.device, self.model.dtype)).last_hidden_state
        else:
            w = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))[None].to(self.device)
            states, lens = self.encoder(w, torch.tensor([w.size(1)], device=self.device))
            enc = states[:, : int(lens[0]), -1].to(self.model.dtype)
        seq = self.model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=enc), num_beams=self.beam_size,
                                  max_new_tokens=self.max_new_tokens)[0].tolist()
        hyp = [t for t in seq if t < self.eos]  # text tokens (special ids start at <|endoftext|>)
        ids = torch.tensor([self.prompt + hyp], device=self.device)
        out = self.model.model.decoder(input_ids=ids, encoder_hidden_states=enc).last_hidden_state[0]
        out = out[len(self.prompt) - 1:]  # the state before each hypothesis token, and after the last
        probs = torch.softmax(self.model.proj_out(out[:-1]).float(), -1)
        token_probs = probs[torch.arange(len(hyp)), torch.tensor(hyp, dtype=torch.long)] if hyp \
            else torch.zeros(0)
        return hyp, out, token_probs

    def __call__(self, samples: np.ndarray, source: str = "audio") -> np.ndarray:
        torch = self.torch
        if samples.size < MIN_SAMPLES:
            raise AudioError(source, f"audio is {samples.size} samples ({samples.size / RATE:.3f}s), shorter than "
                                     "one Whisper frame (25 ms)")
        tokens, states, probs = [], [], []
        with torch.no_grad():
            for start in range(0, samples.size, WINDOW):
                piece = samples[start: start + WINDOW]
                if piece.size < MIN_SAMPLES:  # a last sliver of a long utterance
                    continue
                hyp, out, p = self.piece(piece)
                tokens += hyp
                # pieces joined: the first piece keeps its prompt state, the others only their tokens'
                states.append(out if not states else out[1:])
                probs.append(p)
        text = self.normalize_text(self.tokenizer.decode(tokens, skip_special_tokens=True))
        p = torch.cat(probs)
        self.side_values = {"lexical_text": text, "lexical_text_conf": f"{float(p.mean()) if p.numel() else 0.0:.4f}"}
        return torch.cat(states).float().to(torch.float16).cpu().numpy()


STATES_DIR = "lexical"  # under the feature dir: the decoder states as a feature dir of their own


def dump_lexical(data: Path, featdir: Path, config: LexicalDumpConfig, job: int | None = None,
                 nj: int | None = None, split_by: str = "speaker", skip_bad: bool = False,
                 max_segment_overshoot: float = 0.5, progress: bool = True):
    """Decoder states of DATA's utterances (all of them, or job `job` of `nj`) into FEATDIR/lexical;
    for the whole dir also `publish` them into the acoustic feature dir FEATDIR. Returns the
    `FeatureJob` of compute-fbank's machinery."""
    from jsertk.features.compute import compute_features

    _check_featdir(featdir)
    done = compute_features(data, featdir / STATES_DIR, config, job, nj, split_by, True, skip_bad,
                            max_segment_overshoot, progress)
    if done.merged is not None:
        publish(featdir)
    return done


def merge_lexical(data: Path, featdir: Path, nj: int, split_by: str = "speaker"):
    """After the jobs of `dump_lexical(..., job=k, nj=N)`: merge them and `publish` the result."""
    from jsertk.features.dump import merge_parts

    _check_featdir(featdir)
    merged = merge_parts(data, featdir / STATES_DIR, nj, split_by)
    publish(featdir)
    return merged


def _check_featdir(featdir: Path) -> None:
    from jsertk.utils.errors import InputError

    if not (Path(featdir) / "feats.scp").is_file():
        raise InputError(f"{featdir}: no feats.scp; the lexical states go beside a feature dir's acoustic features: "
                         "compute those first (jsertk compute-fbank or dump-upstream)")


def publish(featdir: Path) -> None:
    """FEATDIR/lexical.scp, lexical_text, lexical_text_conf and lexical.yaml from FEATDIR/lexical, for the
    utterances FEATDIR has features of; lexical.scp last, so its presence means the rest is there."""
    import shutil

    from jsertk.data.table import read_table, write_table
    from jsertk.tasks.upstream import LEXICAL_SCP

    featdir = Path(featdir)
    src = featdir / STATES_DIR
    utts = read_table(featdir / "feats.scp")
    (featdir / LEXICAL_SCP).unlink(missing_ok=True)
    for name in LEXICAL_TABLES:
        table = read_table(src / name)
        write_table(featdir / name, {u: v for u, v in table.items() if u in utts})
    tmp = featdir / f".{LEXICAL_CONFIG}.tmp"
    shutil.copyfile(src / LEXICAL_CONFIG, tmp)
    tmp.replace(featdir / LEXICAL_CONFIG)
    states = read_table(src / "feats.scp")
    write_table(featdir / LEXICAL_SCP, {u: v for u, v in states.items() if u in utts})
