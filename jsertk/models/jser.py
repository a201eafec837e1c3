"""`JointModel`: joint ASR and SER over one shared acoustic encoder.

The ASR branch (an `ASRModel`: frontend, encoder, CTC, optional decoder) is kept and trained
jointly. The lexical branch reads what the ASR branch produces (collapsed CTC posteriors, decoder
states over the 1-best hypothesis, or embeddings of its tokens) and fuses it with the pooled
acoustic encoding. Heads: fused emotion, acoustic-only and lexical-only emotion, dimensional
(CCC), gender and speaker; optionally an adversarial autoencoder over the pooled acoustic vector.

Every loss is masked by which labels each utterance has; each is a mean over the utterances that
carry its label, weighted by its config weight (0 = the head is not built).

Semi-supervised training: utterances with pseudo labels (the batch's `pseudo` mask) count in the emotion,
AAE class and ASR losses with a per-utterance weight (`pseudo.*`, optionally times the label's
confidence); their losses are also logged apart (`loss_<name>_pseudo`). Distribution matching
pulls the acoustic-only and lexical-only emotion posteriors together (`loss_dm`), on utterances
without a true emotion label or on all; its weight ramps up over the optimizer updates, which
the model counts itself (`dm_updates`, saved with the weights, so a resumed run keeps it).
"""
from __future__ import annotations

import torch

from jsertk.models.asr import ASRModel, speaker_stats
from jsertk.models.fusion import Fusion
from jsertk.models.heads import (
    ClassifierHead,
    DimensionalHead,
    ccc_loss,
    masked_cross_entropy,
)
from jsertk.models.lexical import LexicalBranch, collapse_ctc_spikes
from jsertk.models.pooling import acoustic_pooling
from jsertk.models.semi_supervised import (
    attention_per_utterance,
    ctc_per_utterance,
    pseudo_weights,
    ramp,
    symmetric_kl,
)

EMOTION_HEADS = ("emotion", "emotion_acoustic", "emotion_lexical")


def lexical_states(batch: dict):
    """(decoder states, lengths) of a batch read with lexical=True, else None."""
    return (batch["lexical"], batch["lexical_lens"]) if "lexical" in batch else None


class JointModel(torch.nn.Module):
    def __init__(self, asr: ASRModel, classes: list[str], num_speakers: int, *, asr_weight: float = 1.0,
                 lexical: dict, fusion: dict, heads: dict, aae: dict, class_weights: torch.Tensor | None = None,
                 class_prior: list[float] | None = None, pseudo: dict | None = None,
                 distribution_matching: dict | None = None, mixup: dict | None = None):
        super().__init__()
        self.asr = asr
        self.classes = list(classes)
        self.asr_weight = asr_weight
        self.w = {k: v for k, v in heads.items() if k not in ("pooling", "label_smoothing")}
        # the emotion heads' targets: 1 - eps on the label, eps spread over all classes (training only)
        self.label_smoothing = float(heads.get("label_smoothing", 0.0))
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"heads.label_smoothing must be in [0, 1), got {self.label_smoothing}")
        enc_dim = asr.encoder.output_size()
        self.lexical = None
        if lexical["source"] != "none":
            dec_dim = enc_dim if asr.decoder is not None else None
            self.lexical = LexicalBranch(lexical["source"], asr.vocab_size, dec_dim, dim=lexical["dim"],
                                         num_layers=lexical["num_layers"], heads=lexical["heads"],
                                         dropout=lexical["dropout"], encoder=lexical["encoder"],
                                         widths=tuple(lexical["widths"]),
                                         external_dim=lexical.get("input_dim"))
            self.lexical_grad_to_asr = lexical["grad_to_asr"]
            self.fusion = Fusion(fusion["type"], enc_dim, self.lexical.output_size, dim=fusion["dim"],
                                 heads=fusion["heads"], dropout=fusion["dropout"],
                                 lexical_pooling=lexical["pooling"], acoustic_pooling=heads.get("pooling", "attentive"))
            self.acoustic_pool = self.fusion.acoustic_pool
            fused_dim = self.fusion.output_size
        else:
            self.fusion = None
            self.acoustic_pool = acoustic_pooling(heads.get("pooling", "attentive"), enc_dim)
            fused_dim = self.acoustic_pool.output_size
        pooled_a = self.acoustic_pool.output_size
        n_cls, hidden, drop = len(classes), heads["hidden"], heads["dropout"]
        in_dims = {"emotion": fused_dim, "emotion_acoustic": pooled_a,
                   "emotion_lexical": self.fusion.lexical_pool.output_size if self.fusion else None}
        self.heads = torch.nn.ModuleDict()
        for name in EMOTION_HEADS:
            if name == "emotion" or self.w[name] > 0:
                if in_dims[name] is None:
                    raise ValueError(f"head '{name}' needs the lexical branch (lexical.source is none)")
                self.heads[name] = ClassifierHead(in_dims[name], n_cls, hidden, drop)
        if self.w["dimensional"] > 0:
            self.heads["dimensional"] = DimensionalHead(fused_dim, hidden, drop)
        if self.w["gender"] > 0:
            self.heads["gender"] = ClassifierHead(pooled_a, 2, hidden, drop)
        if self.w["speaker"] > 0:
            self.heads["speaker"] = ClassifierHead(pooled_a, max(num_speakers, 1), hidden, drop)
        self.aae = None
        self.aae_w = {"unlabelled": True, **aae}
        if aae["enabled"]:
            from jsertk.models.aae import AdversarialAutoencoder

            self.aae = AdversarialAutoencoder(pooled_a, n_cls, aae["z_dim"], aae["hidden"], class_prior)
        self.register_buffer("class_weights", class_weights if class_weights is not None else torch.ones(n_cls),
                             persistent=False)
        self.pseudo = {"emotion_weight": 1.0, "asr_weight": 1.0, "confidence_weighting": False, **(pseudo or {})}
        # mixup of the pooled vectors the emotion heads read, and of their labels (training only)
        self.mixup_alpha = float((mixup or {}).get("alpha", 0.0))
        self.dm = {"weight": 0.0, "warmup_steps": 0, "apply_to": "unlabelled", **(distribution_matching or {})}
        if self.dm["weight"] > 0:
            if not {"emotion_acoustic", "emotion_lexical"} <= set(self.heads):
                raise ValueError("distribution matching needs the emotion_acoustic and emotion_lexical heads")
            # only then, so models trained without it load as before
            self.register_buffer("dm_updates", torch.zeros((), dtype=torch.long))

    def on_optimizer_step(self) -> None:
        """Called by the trainer after every optimizer update."""
        self.asr.on_optimizer_step()
        if hasattr(self, "dm_updates"):
            self.dm_updates += 1

    def dm_weight(self) -> float:
        """The distribution-matching weight at this point of training (ramped)."""
        if self.dm["weight"] <= 0:
            return 0.0
        return self.dm["weight"] * ramp(int(self.dm_updates), self.dm["warmup_steps"])

    @property
    def encoder(self) -> torch.nn.Module:
        """The shared acoustic encoder (a property, so its weights stay under `asr.` only)."""
        return self.asr.encoder

    # ------------------------------------------------------------------ shared parts
    def _lexical_inputs(self, enc, enc_lens):
        """(inputs for the lexical branch, their lengths, 1-best CTC token ids per utterance)."""
        log_probs = self.asr.ctc.log_softmax(enc)
        posts = log_probs.exp()
        if not self.lexical_grad_to_asr:
            posts = posts.detach()
        vectors, lens, tokens = collapse_ctc_spikes(posts, enc_lens, self.asr.blank_id)
        source = self.lexical.source
        if source == "ctc_posteriors":
            return vectors, lens, tokens
        # an empty hypothesis becomes one blank token, so no sequence is empty
        ids = [t if t else [self.asr.blank_id] for t in tokens]
        lens = torch.tensor([len(t) for t in ids], device=enc.device)
        if source == "hyp_embeddings":
            padded = torch.zeros(len(ids), int(lens.max()), dtype=torch.long, device=enc.device)
            for k, t in enumerate(ids):
                padded[k, : len(t)] = torch.tensor(t, device=enc.device)
            return padded, lens, tokens
        sos = self.asr.sos_eos_id  # decoder states over <sos> + 1-best hypothesis
        ys_in = torch.full((len(ids), int(lens.max()) + 1), self.asr.sos_eos_id, dtype=torch.long, device=enc.device)
        for k, t in enumerate(ids):
            ys_in[k, 0] = sos
            ys_in[k, 1: len(t) + 1] = torch.tensor(t, device=enc.device)
        memory = enc if self.lexical_grad_to_asr else enc.detach()
        (_, hidden), _ = self.asr.decoder(memory, enc_lens, ys_in, lens + 1, return_hs=True)
        return hidden, lens + 1, tokens

    @property
    def reads_lexical_states(self) -> bool:
        """True when the lexical view reads dumped Whisper decoder states (lexical.source: whisper_states)."""
        return self.lexical is not None and self.lexical.source == "whisper_states"

    def represent(self, feats: torch.Tensor, feat_lens: torch.Tensor, stats=None, lexical=None) -> dict:
        """Encoder output, pooled acoustic vector, lexical sequence and pooled vector, fused vector.
        `stats`: per-utterance speaker statistics (frontend.normalize: speaker); `lexical`: the batch's
        (decoder states (B, L, D), lengths (B)) for lexical.source whisper_states."""
        enc, enc_lens = self.asr.encode(feats, feat_lens, stats)
        pooled_a = self.acoustic_pool(enc, enc_lens)
        out = {"enc": enc, "enc_lens": enc_lens, "pooled_acoustic": pooled_a, "fused": pooled_a}
        if self.lexical is not None:
            if self.reads_lexical_states:
                if lexical is None:
                    raise ValueError("lexical.source whisper_states: the batch carries no decoder states (the "
                                     "data dirs need lexical.scp from `jsertk dump-lexical`)")
                inputs, lex_lens = lexical[0][:, : int(lexical[1].max())], lexical[1]
                tokens = None
            else:
                inputs, lex_lens, tokens = self._lexical_inputs(enc, enc_lens)
            lex = self.lexical(inputs, lex_lens)
            pooled_l = self.fusion.lexical_pool(lex, lex_lens)
            out.update(pooled_lexical=pooled_l, hyp_tokens=tokens,
                       fused=self.fusion(enc, enc_lens, lex, lex_lens, pooled_a, pooled_l))
        return out

    def head_inputs(self, rep: dict) -> dict:
        return {"emotion": rep["fused"], "dimensional": rep["fused"], "emotion_acoustic": rep["pooled_acoustic"],
                "emotion_lexical": rep.get("pooled_lexical"), "gender": rep["pooled_acoustic"],
                "speaker": rep["pooled_acoustic"]}

    # ------------------------------------------------------------------ training
    def forward(self, batch: dict) -> dict:
        feats, feat_lens = batch["feats"], batch["feat_lens"]
        rep = self.represent(feats[:, : int(feat_lens.max())], feat_lens, speaker_stats(batch), lexical_states(batch))
        stats: dict[str, tuple[float, int]] = {}
        total, any_loss = rep["pooled_acoustic"].sum() * 0.0, False

        def add(name: str, loss_sum: torch.Tensor, n: int, weight: float):
            nonlocal total, any_loss
            if n == 0 or weight == 0:
                return
            stats[f"loss_{name}"] = (float(loss_sum.detach()), n)
            total = total + weight * loss_sum / n
            any_loss = True

        def add_per_utt(name: str, losses: torch.Tensor, mask: torch.Tensor, sample_w: torch.Tensor,
                        pseudo: torch.Tensor, weight: float):
            """Mean over `mask` of losses x sample weights; true and pseudo labels logged apart (unweighted)."""
            nonlocal total, any_loss
            n = int(mask.sum())
            if n == 0 or weight == 0:
                return
            for suffix, sel in (("", mask & ~pseudo), ("_pseudo", mask & pseudo)):
                if bool(sel.any()):
                    stats[f"loss_{name}{suffix}"] = (float(losses[sel].detach().sum()), int(sel.sum()))
            total = total + weight * (losses[mask] * sample_w[mask]).sum() / n
            any_loss = True

        pseudo = batch.get("pseudo")  # absent (validation, ASR-only callers): every label is true
        if pseudo is None:
            pseudo = torch.zeros_like(feat_lens, dtype=torch.bool)
        emo_w = pseudo_weights(pseudo, self.pseudo["emotion_weight"], self._confidence(batch, "utt2emo_conf"))
        text_mask = batch.get("text_mask")  # absent when no transcripts are read (acoustic-only models)
        if self.asr_weight > 0 and text_mask is not None and bool(text_mask.any()):
            text_w = pseudo_weights(pseudo, self.pseudo["asr_weight"], self._confidence(batch, "utt2text_conf"))
            add_per_utt("asr", self._asr_losses(rep, batch, stats), text_mask, text_w, pseudo, self.asr_weight)
        inputs = self.head_inputs(rep)
        emo, emo_mask = batch["utt2emo"], batch["utt2emo_mask"]
        if emo.dim() != 1:  # collate pads a label no utterance has as an empty sequence
            emo = torch.full_like(feat_lens, -1)
        true_emo = emo_mask & ~pseudo
        mix = self._mixup_partners(emo_mask) if self.training and self.mixup_alpha > 0 else None
        logits = {}
        eps = self.label_smoothing if self.training else 0.0  # validation losses stay comparable
        for name in EMOTION_HEADS:
            if name not in self.heads:
                continue
            x = inputs[name]
            if mix is not None:
                partner, lam = mix
                x = lam[:, None] * x + (1 - lam[:, None]) * x[partner]
            logits[name] = self.heads[name](x)
            losses = torch.nn.functional.cross_entropy(logits[name], emo.clamp(min=0), weight=self.class_weights,
                                                       reduction="none", label_smoothing=eps)
            if mix is not None:
                partner, lam = mix
                losses = lam * losses + (1 - lam) * torch.nn.functional.cross_entropy(
                    logits[name], emo[partner].clamp(min=0), weight=self.class_weights, reduction="none",
                    label_smoothing=eps)
            add_per_utt(name, losses, emo_mask, emo_w, pseudo, self.w[name])
            if name == "emotion" and bool(true_emo.any()):
                stats.update(self._class_stats(logits[name][true_emo].argmax(-1), emo[true_emo]))
        if "dimensional" in self.heads:
            pred = self.heads["dimensional"](inputs["dimensional"])
            loss, n = ccc_loss(pred, batch["utt2dim"], batch["utt2dim_mask"])
            add("ccc", loss, n, self.w["dimensional"])
        spk = batch["utt2spk"].long()  # (B, 2): speaker index, gender index; -1 = unknown
        for name, col in (("speaker", 0), ("gender", 1)):
            if name in self.heads:
                mask = batch["utt2spk_mask"] & (spk[:, col] >= 0)
                head_logits = self.heads[name](inputs[name])
                loss, n = masked_cross_entropy(head_logits, spk[:, col].clamp(min=0), mask)
                add(name, loss, n, self.w[name])
                if n:
                    stats[f"acc_{name}"] = (float((head_logits[mask].argmax(-1) == spk[mask, col]).sum()), n)
        if self.dm["weight"] > 0:
            on = ~true_emo if self.dm["apply_to"] == "unlabelled" else torch.ones_like(true_emo)
            add("dm", symmetric_kl(logits["emotion_acoustic"], logits["emotion_lexical"])[on].sum(), int(on.sum()),
                self.dm_weight())
        if self.aae is not None:
            self._aae_losses(rep["pooled_acoustic"], emo, emo_mask, emo_w, pseudo, add, add_per_utt)
        if not any_loss:
            return {"loss": None, "stats": stats}
        stats["loss"] = (float(total.detach()) * feats.size(0), feats.size(0))
        return {"loss": total, "stats": stats}

    def _mixup_partners(self, emo_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Mixup (Zhang et al., 2018) among the batch's labelled utterances: for each, a partner (a
        random permutation of them; unlabelled ones keep themselves) and its own weight lam ~
        Beta(alpha, alpha), folded to lam >= 0.5 so that the utterance's own label dominates."""
        labelled = torch.nonzero(emo_mask).flatten()
        if labelled.numel() < 2:
            return None
        partner = torch.arange(emo_mask.numel(), device=emo_mask.device)
        partner[labelled] = labelled[torch.randperm(labelled.numel(), device=emo_mask.device)]
        beta = torch.distributions.Beta(self.mixup_alpha, self.mixup_alpha)
        lam = beta.sample((emo_mask.numel(),)).to(emo_mask.device)
        lam = torch.maximum(lam, 1 - lam)
        lam = torch.where(partner == torch.arange(emo_mask.numel(), device=emo_mask.device), torch.ones_like(lam), lam)
        return partner, lam

    def _confidence(self, batch: dict, name: str) -> torch.Tensor | None:
        """(B,) pseudo-label confidences when they weight the losses (0 where missing), else None."""
        if not self.pseudo["confidence_weighting"]:
            return None
        conf = batch.get(name)
        if conf is None or conf.dim() != 1:  # no utterance of the batch has one
            return torch.zeros(batch["feat_lens"].shape, device=batch["feat_lens"].device)
        return conf

    def _asr_losses(self, rep, batch, stats) -> torch.Tensor:
        """(B,) ASR loss of each utterance (0 where it has no transcript); CTC/attention stats over all."""
        keep = batch["text_mask"].nonzero(as_tuple=True)[0]
        enc, enc_lens = rep["enc"][keep], rep["enc_lens"][keep]
        ys, y_lens = batch["text"][keep], batch["text_lens"][keep]
        ys = ys[:, : int(y_lens.max())]
        asr = self.asr
        losses = ctc_per_utterance(asr.ctc, enc, enc_lens, ys, y_lens)
        n = keep.numel()
        stats["loss_ctc"] = (float(losses.detach().sum()), n)
        if asr.decoder is not None and asr.ctc_weight < 1.0:
            loss_att, correct, total = attention_per_utterance(asr, enc, enc_lens, ys, y_lens)
            stats["loss_att"] = (float(loss_att.detach().sum()), n)
            stats["acc"] = (correct, total)
            losses = asr.ctc_weight * losses + (1 - asr.ctc_weight) * loss_att
        if not self.training:
            stats.update(asr._greedy_error_stats(enc, enc_lens, ys, y_lens))
        return torch.zeros(batch["text_mask"].shape, dtype=losses.dtype, device=losses.device).index_put(
            (keep,), losses)

    def _aae_losses(self, pooled, emo, emo_mask, emo_w, pseudo, add, add_per_utt) -> None:
        """Reconstruction and prior matching on every utterance (or, with aae.unlabelled false, on the
        emotion-labelled ones); the class loss on emotion labels, pseudo ones weighted."""
        sel = torch.ones_like(emo_mask) if self.aae_w["unlabelled"] else emo_mask
        n = int(sel.sum())
        if n == 0:
            return
        out = self.aae(pooled[sel])
        add("aae_recon", out["recon"], n, self.aae_w["recon_weight"])
        add("aae_adv", out["disc"] + out["gen"], n, self.aae_w["adversarial_weight"])
        losses = torch.nn.functional.cross_entropy(out["logits"], emo[sel].clamp(min=0), reduction="none")
        add_per_utt("aae_class", losses, emo_mask[sel], emo_w[sel], pseudo[sel], self.aae_w["class_weight"])

    def _class_stats(self, pred: torch.Tensor, ref: torch.Tensor) -> dict:
        """Per-class correct/count (recall) and overall accuracy, from which UA is derived."""
        stats = {"wa": (float((pred == ref).sum()), int(ref.numel()))}
        for k in range(len(self.classes)):
            sel = ref == k
            if bool(sel.any()):
                stats[f"recall_{k}"] = (float((pred[sel] == k).sum()), int(sel.sum()))
        return stats

    def derived_stats(self, averaged: dict[str, float]) -> dict[str, float]:
        """UA (unweighted average recall over the classes seen) from the averaged per-class recalls."""
        recalls = [v for k, v in averaged.items() if k.startswith("recall_")]
        return {"ua": sum(recalls) / len(recalls)} if recalls else {}

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def predict(self, feats: torch.Tensor, feat_lens: torch.Tensor, stats=None, lexical=None) -> dict:
        """Per utterance: emotion posteriors of each emotion head, dimensional values, CTC 1-best tokens
        and their confidence (mean peak posterior of the hypothesis tokens, `text_conf`)."""
        from jsertk.models.ctc_greedy import ctc_greedy_with_confidence

        rep = self.represent(feats, feat_lens, stats, lexical)
        inputs = self.head_inputs(rep)
        out = {name: torch.softmax(self.heads[name](inputs[name]), -1) for name in EMOTION_HEADS
               if name in self.heads}
        if "dimensional" in self.heads:
            out["dimensional"] = self.heads["dimensional"](inputs["dimensional"])
        # the CTC argmax path: the 1-best the lexical branch read, unless it reads Whisper's (whisper_states)
        out["tokens"], out["text_conf"] = ctc_greedy_with_confidence(self.asr.ctc.log_softmax(rep["enc"]),
                                                                     rep["enc_lens"], self.asr.blank_id)
        return out
