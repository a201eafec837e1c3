"""Joint CTC/attention beam search with ESPnet's (batch) BeamSearch and CTC prefix scorer.

score(y) = (1 - ctc_weight) * log p_att(y) + ctc_weight * log p_ctc(y) + penalty * |y|
           [+ lm_weight * log p_lm(y) with a token n-gram LM: shallow fusion]
"""
from __future__ import annotations

import logging

import torch

from jsertk.models import espnet_import  # noqa: F401
from jsertk.utils.errors import InputError


def build_joint_beam_search(model, beam: int, ctc_weight: float, penalty: float = 0.0, lm=None,
                            lm_weight: float = 0.0):
    """ESPnet BatchBeamSearch over `model`'s decoder and CTC; `lm` (a `jsertk.lm.TokenNgramLM`) adds
    `scorers["lm"]` with weight `lm_weight`."""
    from espnet.nets.batch_beam_search import BatchBeamSearch
    from espnet.nets.scorers.ctc import CTCPrefixScorer
    from espnet.nets.scorers.length_bonus import LengthBonus

    if model.decoder is None:
        raise InputError("this model has no attention decoder: decode it with --method greedy or ctc_beam")
    if not 0.0 <= ctc_weight <= 1.0:
        raise InputError(f"--ctc-weight must be in [0, 1], got {ctc_weight}")
    scorers = {"decoder": model.decoder, "ctc": CTCPrefixScorer(model.ctc, model.sos_eos_id),
               "length_bonus": LengthBonus(model.vocab_size)}
    weights = {"decoder": 1.0 - ctc_weight, "ctc": ctc_weight, "length_bonus": penalty}
    if lm is not None:
        from jsertk.lm.espnet_scorer import NgramScorer

        scorers["lm"] = NgramScorer(lm)
        weights["lm"] = lm_weight
    search = BatchBeamSearch(scorers=scorers, weights=weights, beam_size=beam, vocab_size=model.vocab_size,
                             sos=model.sos_eos_id, eos=model.sos_eos_id, token_list=model.token_list,
                             pre_beam_score_key=None if ctc_weight == 1.0 else "full")
    search.eval()
    logging.getLogger("espnet.nets.beam_search").setLevel(logging.WARNING)
    logging.getLogger("espnet.nets.batch_beam_search").setLevel(logging.WARNING)
    return search


@torch.no_grad()
def joint_beam_search(search, enc: torch.Tensor, maxlenratio: float = 0.0, minlenratio: float = 0.0
                      ) -> tuple[list[int], float]:
    """Best (token ids, score) for one utterance's encoder output (T, D)."""
    hyps = search(x=enc, maxlenratio=maxlenratio, minlenratio=minlenratio)
    if not hyps:
        return [], float("-inf")
    best = hyps[0]
    ids = [int(i) for i in best.yseq.tolist()[1:]]
    if ids and ids[-1] == search.eos:
        ids = ids[:-1]
    return ids, float(best.score)
