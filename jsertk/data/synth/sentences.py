"""Sentences from templates over the lexicon. Each utterance gets either an emotionally
neutral sentence or, for a chosen fraction, one whose words signal its emotion."""
from __future__ import annotations

import re

import numpy as np

from jsertk.data.synth import lexicon as lx

NEUTRAL = (
    "{name} {verb} the {adj} {noun} {time}",
    "{name} {verb} the {noun} at the {place}",
    "the {adj} {noun} is next to the {noun2}",
    "please put the {noun} on the {noun2} {time}",
    "{name} and {name2} went to the {place} {time}",
    "we will meet at the {place} {time}",
    "the {noun} was in the {place} {time}",
    "{name} asked for the {adj} {noun}",
    "there is a {adj} {noun} near the {place}",
    "the bus to the {place} leaves at {number}",
    "{name} {verb} {number} {adj} boxes {time}",
    "my {noun} is {adj} and the {noun2} is {adj2}",
    "{name} said that the {noun} is in the {place}",
)
TEMPLATES = {
    "neutral": (
        "as usual {name} {verb} the {noun} {time}",
        "everything was {calm} at the {place} {time}",
        "the {noun} arrived as planned {time}",
        "it was an {calm} day at the {place}",
        "{name} calmly {verb} the {adj} {noun}",
        "nothing special happened at the {place} {time}",
        "the visit to the {place} was quite {calm}",
        "{name} {verb} the {noun} in the {calm} way",
    ),
    "happy": (
        "{name} is so {happy} about the {noun}",
        "what a {happy} day at the {place}",
        "i {hverb} when {name} {verb} the {noun}",
        "we had a {happy} {hnoun} at the {place} {time}",
        "this {adj} {noun} is {happy} and i love it",
        "{name} won the {hnoun} and we are {happy}",
        "the {hnoun} {time} was {happy}",
    ),
    "angry": (
        "i am {angry} that {name} {verb} my {noun}",
        "this {noun} is {judge} and i will not accept it",
        "{name} {averb} at me in the {place}",
        "how dare {name} {abase} my {noun}",
        "i am sick of the {judge} {noun} at the {place}",
        "{name} lied about the {noun} and i am {angry}",
        "the {noun} from the {place} is {judge}",
    ),
    "sad": (
        "i miss the old {noun} from the {place}",
        "{name} felt {sad} at the {place} {time}",
        "nobody came to the {place} {time}",
        "{name} {sverb} when the {noun} broke",
        "we said goodbye at the {place} and i feel {sad}",
        "{name} is gone and the {place} feels empty",
        "after the {snoun} i was {sad} {time}",
    ),
}
SHARED_NEGATIVE = (  # angry or sad: valence without arousal
    "it was {neg} that {name} {verb} the {noun}",
    "the news from the {place} was {neg}",
    "what a {neg} thing to happen {time}",
)
SHARED_NEGATIVE_P = 0.3  # share of angry and sad emotional sentences built from SHARED_NEGATIVE

_SLOTS = {
    "name": lx.NAMES, "name2": lx.NAMES, "verb": lx.VERBS, "adj": lx.ADJECTIVES, "adj2": lx.ADJECTIVES,
    "noun": lx.NOUNS, "noun2": lx.NOUNS, "place": lx.PLACES, "time": lx.TIMES, "number": lx.NUMBERS,
    "calm": lx.CALM, "happy": lx.HAPPY_ADJ, "hverb": lx.HAPPY_VERBS, "hnoun": lx.HAPPY_NOUNS, "angry": lx.ANGRY_ADJ,
    "judge": lx.ANGRY_JUDGE, "averb": lx.ANGRY_VERBS, "abase": lx.ANGRY_BASE, "sad": lx.SAD_ADJ,
    "sverb": lx.SAD_VERBS, "snoun": lx.SAD_NOUNS, "neg": lx.NEGATIVE,
}
_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: np.random.Generator) -> str:
    chosen: dict[str, str] = {}

    def pick(m: re.Match) -> str:
        slot = m.group(1)
        words = _SLOTS[slot]
        twin = {"name2": "name", "noun2": "noun", "adj2": "adj"}.get(slot)
        while True:
            w = words[int(rng.integers(len(words)))]
            if twin is None or w != chosen.get(twin):
                break
        chosen[slot] = w
        return w

    return _ARTICLE.sub(_article, _SLOT.sub(pick, template))


_ARTICLE = re.compile(r"\b(a|an) (\w+)")


def _article(m: re.Match) -> str:
    word = m.group(2)
    vowel = word[0] in "aeio" or (word[0] == "u" and not word.startswith("us"))
    return f"{'an' if vowel else 'a'} {word}"


def sentence(emotion: str, lexical: bool, rng: np.random.Generator) -> str:
    """A lowercase transcript: emotion-signalling words when `lexical`, else an everyday sentence."""
    if not lexical:
        pool = NEUTRAL
    elif emotion in ("angry", "sad") and rng.random() < SHARED_NEGATIVE_P:
        pool = SHARED_NEGATIVE
    else:
        pool = TEMPLATES[emotion]
    return fill(pool[int(rng.integers(len(pool)))], rng)


def vocabulary() -> set[str]:
    """Every word a transcript can contain."""
    words: set[str] = set()
    for template in NEUTRAL + SHARED_NEGATIVE + sum(TEMPLATES.values(), ()):
        words.update(w for w in template.split() if not w.startswith("{"))
    for slot_words in _SLOTS.values():
        for item in slot_words:
            words.update(item.split())
    return words


def spoken_form(transcript: str) -> str:
    """What espeak reads: capitalised, 'i' as 'I', with a full stop."""
    text = re.sub(r"\bi\b", "I", transcript)
    return text[0].upper() + text[1:] + "."
