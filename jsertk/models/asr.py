"""`ASRModel`: frontend, ESPnet encoder, CTC head and an optional attention decoder.

`forward(batch)` returns the training loss and statistics as (sum, count) pairs, so the trainer
can average them over batches and processes without knowing what they mean. Utterances without
a transcript (`text_mask` false) are left out of the ASR losses.
"""
from __future__ import annotations

import torch

from jsertk.metrics.wer import edit_distance
from jsertk.models import espnet_import  # noqa: F401
from jsertk.models.components import build_component
from jsertk.models.frontend import Frontend
from jsertk.utils.config import ConfigError

IGNORE_ID = -1


def speaker_stats(batch: dict, keep: torch.Tensor | None = None):
    """(mean, std) of each utterance's speaker from a batch that carries them, else None."""
    if "spk_mean" not in batch:
        return None
    mean, std = batch["spk_mean"], batch["spk_std"]
    return (mean, std) if keep is None else (mean[keep], std[keep])


class ASRModel(torch.nn.Module):
    label_files = ("text",)

    def __init__(self, input_dim: int, token_list: list[str], encoder: str = "conformer",
                 encoder_conf: dict | None = None, decoder: str = "none", decoder_conf: dict | None = None,
                 ctc_weight: float = 1.0, lsm_weight: float = 0.1, ctc_dropout: float = 0.0,
                 cmvn: tuple | None = None, specaug: dict | None = None, utterance_mvn: str = "none",
                 freq_warp: float = 0.0, upstream: dict | None = None,
                 upstream_shape: tuple[int, int] | None = None, upstream_module: torch.nn.Module | None = None,
                 normalize: str = "global", random_crop=None):
        from espnet.nets.pytorch_backend.transformer.label_smoothing_loss import (
            LabelSmoothingLoss,
        )
        from espnet2.asr.ctc import CTC

        super().__init__()
        if not 0.0 <= ctc_weight <= 1.0:
            raise ConfigError(f"config key 'model_conf.ctc_weight' must be in [0, 1], got {ctc_weight}")
        if decoder == "none" and ctc_weight < 1.0:
            raise ConfigError("config key 'model_conf.ctc_weight' must be 1.0 when 'decoder' is none "
                              f"(got {ctc_weight}): without a decoder CTC is the only loss")
        self.token_list = list(token_list)
        self.vocab_size = len(token_list)
        self.blank_id, self.sos_eos_id = 0, self.vocab_size - 1
        self.ctc_weight = ctc_weight
        self.frontend = Frontend(input_dim, cmvn, specaug, utterance_mvn, freq_warp, upstream, upstream_shape,
                                 upstream_module, normalize, random_crop)
        self.encoder = build_component("encoder", encoder, dict(encoder_conf or {}),
                                       input_size=self.frontend.output_size)
        enc_dim = self.encoder.output_size()
        # reduce=False: ESPnet returns each utterance's loss divided by the batch size (the terms of
        # its batch average), so the per-utterance losses of the joint model come from ESPnet too
        self.ctc = CTC(self.vocab_size, enc_dim, dropout_rate=ctc_dropout, reduce=False)
        self.decoder = None
        if decoder != "none":
            self.decoder = build_component("decoder", decoder, dict(decoder_conf or {}),
                                           vocab_size=self.vocab_size, encoder_output_size=enc_dim)
            self.att_loss = LabelSmoothingLoss(self.vocab_size, IGNORE_ID, lsm_weight, normalize_length=False)

    def on_optimizer_step(self) -> None:
        self.frontend.on_optimizer_step()

    def encode(self, feats: torch.Tensor, feat_lens: torch.Tensor, stats=None) -> tuple[torch.Tensor, torch.Tensor]:
        """`stats`: the batch's per-utterance speaker statistics (frontend.normalize: speaker)."""
        x, lens = self.frontend(feats, feat_lens, stats)
        enc, enc_lens, _ = self.encoder(x, lens)
        return enc, enc_lens

    def forward(self, batch: dict) -> dict:
        """{'loss': scalar tensor or None when no utterance has a transcript, 'stats': {name: (sum, count)}}."""
        keep = batch["text_mask"].nonzero(as_tuple=True)[0]
        if keep.numel() == 0:
            return {"loss": None, "stats": {}}
        n = keep.numel()
        feats, feat_lens = batch["feats"][keep], batch["feat_lens"][keep]
        ys, y_lens = batch["text"][keep], batch["text_lens"][keep]
        feats = feats[:, : int(feat_lens.max())]
        ys = ys[:, : int(y_lens.max())]
        enc, enc_lens = self.encode(feats, feat_lens, speaker_stats(batch, keep))
        stats: dict[str, tuple[float, int]] = {}
        loss_ctc = self.ctc(enc, enc_lens, ys, y_lens).sum()  # = the batch average (see __init__)
        stats["loss_ctc"] = (float(loss_ctc.detach()) * n, n)
        loss = loss_ctc
        if self.decoder is not None and self.ctc_weight < 1.0:
            loss_att, correct, total = self._attention_loss(enc, enc_lens, ys, y_lens)
            stats["loss_att"] = (float(loss_att.detach()) * n, n)
            stats["acc"] = (correct, total)
            loss = self.ctc_weight * loss_ctc + (1 - self.ctc_weight) * loss_att
        stats["loss"] = (float(loss.detach()) * n, n)
        if not self.training:
            stats.update(self._greedy_error_stats(enc, enc_lens, ys, y_lens))
        return {"loss": loss, "stats": stats}

    def decoder_outputs(self, enc, enc_lens, ys, y_lens) -> tuple[torch.Tensor, torch.Tensor]:
        """(decoder logits (B, L+1, V) given <sos> + ys, their targets ys + <eos> padded with IGNORE_ID)."""
        from espnet.nets.pytorch_backend.transformer.add_sos_eos import add_sos_eos

        ys_in, ys_out = add_sos_eos(ys, self.sos_eos_id, self.sos_eos_id, IGNORE_ID)
        dec_out, _ = self.decoder(enc, enc_lens, ys_in, y_lens + 1)
        return dec_out, ys_out

    def _attention_loss(self, enc, enc_lens, ys, y_lens):
        dec_out, ys_out = self.decoder_outputs(enc, enc_lens, ys, y_lens)
        loss = self.att_loss(dec_out, ys_out)
        mask = ys_out != IGNORE_ID
        correct = int(((dec_out.argmax(-1) == ys_out) & mask).sum())
        return loss, correct, int(mask.sum())

    def tokens_to_text(self, ids) -> str:
        eos = self.sos_eos_id
        text = "".join(self.token_list[i] for i in ids if i not in (self.blank_id, eos)).replace("▁", " ")
        return " ".join(text.split())

    def _greedy_error_stats(self, enc, enc_lens, ys, y_lens) -> dict:
        """Character and word errors of CTC greedy decoding against the targets (for validation)."""
        from jsertk.models.ctc_greedy import ctc_greedy

        hyps = ctc_greedy(self.ctc.log_softmax(enc), enc_lens, self.blank_id)
        c_err = c_len = w_err = w_len = 0
        for hyp, y, n in zip(hyps, ys.tolist(), y_lens.tolist()):
            ref_text, hyp_text = self.tokens_to_text(y[:n]), self.tokens_to_text(hyp)
            c_err += edit_distance(ref_text, hyp_text)
            c_len += len(ref_text)
            w_err += edit_distance(ref_text.split(), hyp_text.split())
            w_len += len(ref_text.split())
        return {"cer": (c_err, c_len), "wer": (w_err, w_len)}
