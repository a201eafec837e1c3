"""Word lists of the synthetic corpus: an emotionally neutral everyday vocabulary and, per
emotion, words that signal it. Angry and sad share a set of negative words, so the words
tell valence more reliably than arousal - the opposite of the prosody, as in real speech."""
from __future__ import annotations

NAMES = (
    "anna", "peter", "maria", "david", "sarah", "thomas", "laura", "james", "emma", "robert", "julia", "michael",
    "sophie", "daniel", "clara", "martin", "helen", "simon", "alice", "george", "nina", "oliver", "grace", "henry",
    "lucy", "victor", "rachel", "adam", "diana", "frank", "paula", "kevin",
)
NOUNS = (
    "book", "letter", "table", "window", "bicycle", "camera", "ticket", "jacket", "umbrella", "basket", "bottle",
    "chair", "lamp", "door", "key", "map", "phone", "computer", "notebook", "pencil", "blanket", "kettle", "mirror",
    "picture", "bag", "box", "coat", "desk", "envelope", "folder", "glass", "hammer", "ladder", "newspaper",
    "parcel", "plate", "radio", "shelf", "shirt", "suitcase", "towel", "wallet", "watch", "bench", "bucket",
    "candle", "carpet", "clock", "cup", "drawer", "fence", "guitar", "helmet", "jar", "magazine", "pillow", "rope",
    "scarf", "spoon", "stamp", "sweater", "tent", "tray", "vase", "bread", "apple", "cheese", "coffee", "orange",
    "sandwich", "soup", "tea", "carrot", "potato", "lemon", "cake", "rice", "printer", "cable", "battery",
)
PLACES = (
    "station", "office", "library", "market", "school", "hospital", "museum", "bakery", "harbor", "airport", "bank",
    "bridge", "church", "cinema", "corner", "factory", "farm", "garage", "hotel", "island", "lake", "mountain",
    "park", "restaurant", "river", "shop", "square", "stadium", "street", "theater", "tower", "village", "beach",
    "forest", "hall", "yard", "studio", "pharmacy", "warehouse", "kitchen", "garden", "bus stop", "post office",
)
TIMES = (
    "today", "tomorrow", "yesterday", "on monday", "on tuesday", "on wednesday", "on thursday", "on friday",
    "on saturday", "on sunday", "this morning", "this evening", "at noon", "in the afternoon", "next week",
    "last week", "after lunch", "before dinner", "at night", "in april", "in june", "in october", "at midnight",
    "every day", "twice a week",
)
VERBS = (  # past tense, take a direct object
    "carried", "moved", "found", "opened", "closed", "cleaned", "painted", "bought", "sold", "checked", "packed",
    "fixed", "brought", "left", "took", "sent", "borrowed", "returned", "ordered", "counted", "measured", "wrapped",
    "collected", "delivered", "dropped", "lifted", "pushed", "pulled", "covered", "washed", "placed", "kept",
    "noticed", "described", "repaired", "replaced", "weighed", "labeled", "copied", "folded",
)
ADJECTIVES = (
    "blue", "green", "red", "yellow", "brown", "gray", "white", "black", "small", "large", "old", "new", "wooden",
    "metal", "plastic", "round", "heavy", "light", "long", "short", "narrow", "wide", "plain", "thin", "thick",
    "second", "third", "other", "spare", "simple", "striped", "square", "tall", "flat", "dry", "clean",
)
NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")

# Words that signal an emotion.
CALM = ("usual", "normal", "ordinary", "routine", "regular", "expected", "standard", "typical")
CALM_PHRASES = ("as usual", "as planned", "calmly", "nothing special")  # fixed in the neutral templates
HAPPY_ADJ = (
    "wonderful", "fantastic", "lovely", "brilliant", "delighted", "thrilled", "excited", "glad", "happy", "amazing",
    "perfect", "beautiful", "cheerful", "grateful", "proud", "lucky", "pleased", "marvelous", "joyful", "great",
)
HAPPY_VERBS = ("laughed", "smiled", "cheered", "danced", "sang", "celebrated")
HAPPY_NOUNS = ("party", "gift", "concert", "holiday", "prize", "wedding", "surprise", "festival", "victory", "reunion")
ANGRY_ADJ = ("furious", "angry", "annoyed", "irritated", "outraged", "livid", "mad", "fed up")
ANGRY_JUDGE = ("ridiculous", "unacceptable", "outrageous", "useless", "disgraceful", "stupid", "insulting", "pathetic")
ANGRY_VERBS = ("shouted", "yelled", "screamed", "swore", "snapped", "complained")
ANGRY_BASE = ("touch", "break", "steal", "hide", "ruin", "take")
SAD_ADJ = (
    "lonely", "sad", "miserable", "hopeless", "heartbroken", "gloomy", "unhappy", "sorry", "disappointed",
    "depressed", "alone", "helpless",
)
SAD_VERBS = ("cried", "wept", "sighed", "sobbed", "grieved")
SAD_NOUNS = ("funeral", "loss", "goodbye", "grief", "tears", "pain")
# Cue words fixed in the emotion templates (jsertk.data.synth.sentences).
HAPPY_CUES = ("love", "won")
ANGRY_CUES = ("how dare", "sick of", "lied", "not accept")
SAD_CUES = ("miss", "nobody", "goodbye", "gone", "empty")
NEGATIVE = ("terrible", "awful", "horrible", "unfair", "dreadful", "bad", "upsetting", "painful")  # angry and sad

