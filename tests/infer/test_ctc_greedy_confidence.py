"""The CTC 1-best with a confidence: the same tokens as plain greedy decoding, and a confidence
that is the mean peak posterior of the emitted tokens (what pseudo-labelling thresholds)."""
import math

import torch

from jsertk.models.ctc_greedy import ctc_greedy, ctc_greedy_with_confidence


def test_tokens_match_greedy_and_confidence_is_mean_peak_posterior():
    # frames: a a _ b b _ ; peaks of token runs: 0.9 (a), 0.6 (b)
    probs = torch.tensor([[[0.05, 0.8, 0.15], [0.05, 0.9, 0.05], [0.9, 0.05, 0.05],
                           [0.2, 0.2, 0.6], [0.3, 0.2, 0.5], [0.9, 0.05, 0.05]]])
    lp = probs.log()
    tokens, conf = ctc_greedy_with_confidence(lp, torch.tensor([6]), blank_id=0)
    assert tokens == ctc_greedy(lp, torch.tensor([6])) == [[1, 2]]
    assert math.isclose(conf[0], (0.9 + 0.6) / 2, rel_tol=1e-5)


def test_padding_is_ignored_and_empty_hypothesis_has_zero_confidence():
    lp = torch.log_softmax(torch.randn(2, 10, 4) * 3, -1)
    lp[1, :3] = torch.tensor([0.0, -50.0, -50.0, -50.0])  # first 3 frames of utt 2 are blank
    tokens, conf = ctc_greedy_with_confidence(lp, torch.tensor([10, 3]), blank_id=0)
    assert tokens[1] == [] and conf[1] == 0.0
    assert tokens == ctc_greedy(lp, torch.tensor([10, 3]))
    assert 0.0 < conf[0] <= 1.0
