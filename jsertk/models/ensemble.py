"""`PosteriorEnsemble`: several joint models (seeds, or other configurations of one task) whose
emotion posteriors are averaged (`jsertk decode --model-dir A --model-dir B ...`).

Every member must have the same class list (in the same order). Emotion posteriors of each head
that every member has, and the dimensional predictions when every member has them, are averaged;
the transcript (CTC 1-best) is the first member's. Speaker statistics are passed to every member
(each uses them or not, as its frontend says), and so are Whisper decoder states.
"""
from __future__ import annotations

import torch


class PosteriorEnsemble(torch.nn.Module):
    def __init__(self, members: list[torch.nn.Module]):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one model")
        first = list(members[0].classes)
        for k, m in enumerate(members[1:], 2):
            if list(m.classes) != first:
                raise ValueError(f"model {k} of the ensemble has the classes {list(m.classes)}, model 1 has {first}: "
                                 "an ensemble averages posteriors over the same classes")
        self.members = torch.nn.ModuleList(members)
        self.classes = first

    @property
    def asr(self):  # the first member transcribes
        return self.members[0].asr

    @property
    def reads_lexical_states(self) -> bool:
        return any(getattr(m, "reads_lexical_states", False) for m in self.members)

    @torch.no_grad()
    def predict(self, feats: torch.Tensor, feat_lens: torch.Tensor, stats=None, lexical=None) -> dict:
        outs = [m.predict(feats, feat_lens, stats, lexical) for m in self.members]
        merged = dict(outs[0])
        for key in ("emotion", "emotion_acoustic", "emotion_lexical", "dimensional"):
            if all(key in o for o in outs):
                merged[key] = torch.stack([o[key] for o in outs]).mean(0)
            else:
                merged.pop(key, None)
        return merged
