"""The joint ASR-SER task (`model: jser`): config sections, resources, labels and the model.

Labels read per utterance: `text` (ASR), `utt2emo` (class index over the class list), `utt2dim`
(arousal, valence, dominance) and `utt2spk` (speaker index over the training speakers, plus the
gender of that speaker from `spk2gender` beside it). The class list comes from `classes` in the
config or, when empty, from the training sets' utt2emo (sorted); it is saved as `classes.txt` in
the experiment dir, as the speaker list is as `speakers.txt`.

`data_roles` gives each training dir a role: `ser` (default) must carry utt2emo, `asr` must
carry text, `aux` needs neither (e.g. speaker/gender-only data); any labels present are used.
`pseudo` dirs carry pseudo labels (utt2emo and/or text, with utt2emo_conf / utt2text_conf), whose
losses are weighted down (config section `pseudo`); `unlab` dirs are read without labels and
feed only the unsupervised losses (distribution matching, the AAE). Utterances of pseudo dirs are
flagged in the batch (`pseudo`); validation data has no flags and counts as true labels.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from jsertk.tasks.asr import AsrTask
from jsertk.tasks.base import Task
from jsertk.tasks.jser_init import (
    adopt_asr_architecture,
    init_model_type,
    load_asr_init,
    load_joint_init,
)
from jsertk.tasks.jser_labels import (
    CLASSES_FILE,
    ROLES,
    SPEAKERS_FILE,
    EmotionParser,
    SpeakerParser,
    read_list,
    save_list,
)
from jsertk.utils.config import OpenSection
from jsertk.utils.errors import ConfigError

DM_APPLY_TO = ("unlabelled", "all")


class JserTask(Task):
    name = "jser"

    def defaults(self) -> dict:
        return {
            **AsrTask().defaults(),
            "init": "",  # ASR experiment dir whose model.pth initialises the ASR branch (jsertk train --init)
            "classes": [],  # emotion classes in head order; [] = sorted classes of the training utt2emo
            "label_map": OpenSection(),  # label in utt2emo -> class (e.g. excited: happy)
            "data_roles": [],  # per training dir: ser (needs utt2emo), asr (needs text), aux; [] = all ser
            "class_weights": False,  # weight the emotion losses by inverse class frequency (skewed label sets)
            "asr_weight": 1.0,  # weight of the CTC/attention loss in the joint objective (0 = SER only)
            "lexical": {"source": "ctc_posteriors",  # ctc_posteriors, decoder_states, hyp_embeddings, whisper_states
                        # or none (whisper_states: a frozen pretrained Whisper's decoder states, jsertk dump-lexical)
                        "whisper": "",  # whisper_states: the local Whisper folder the dumped states come from
                        "encoder": "transformer",  # transformer or cnn (n-gram filters: learns from little data)
                        "dim": 128, "num_layers": 2, "heads": 4,  # transformer layers and heads
                        "widths": [3, 5, 7],  # cnn filter widths in tokens
                        "pooling": "attentive",  # attentive (mean and std) or max (with cnn: keyword spotting)
                        "dropout": 0.1,
                        "grad_to_asr": True},  # let SER gradients flow into the ASR branch through the lexical inputs
            "fusion": {"type": "concat", "dim": 256, "heads": 4, "dropout": 0.1},  # concat, cross_attention, gated
            "heads": {"emotion": 1.0, "emotion_acoustic": 0.3, "emotion_lexical": 0.3, "dimensional": 0.5,
                      "gender": 0.0, "speaker": 0.0,  # loss weights; 0 = head not built (emotion is always built)
                      "hidden": 128, "dropout": 0.1,  # hidden 0: linear heads
                      "pooling": "attentive",  # acoustic pooling over frames: attentive or mean_std
                      "label_smoothing": 0.0},  # emotion heads: eps of each target spread over the classes
            "aae": {"enabled": False, "z_dim": 16, "hidden": 128, "recon_weight": 1.0, "adversarial_weight": 0.1,
                    "class_weight": 0.3,
                    "unlabelled": True},  # reconstruction and prior matching on every utterance (false: labelled only)
            "pseudo": {"emotion_weight": 0.5,  # scales the emotion-head and AAE class losses on pseudo labels
                       "asr_weight": 0.5,  # scales the ASR loss on pseudo transcripts
                       "confidence_weighting": False},  # also scale each by its utt2emo_conf / utt2text_conf
            "mixup": {"alpha": 0.0},  # > 0: mixup of the emotion heads' pooled inputs and labels, lam ~ Beta(a, a)
            "distribution_matching": {"weight": 0.0,  # symmetric KL between acoustic and lexical emotion posteriors
                                      "warmup_steps": 0,  # ramp the weight up from 0 over this many updates
                                      "apply_to": "unlabelled"},  # unlabelled (no true emotion label) or all
        }

    def train_data_options(self, cfg, num_dirs):
        roles = data_roles(cfg, num_dirs)
        return {"pseudo": [r == "pseudo" for r in roles], "labelled": [r != "unlab" for r in roles]}

    def setup(self, cfg, expdir, training):
        expdir = Path(expdir)
        # Every DDP process adopts it (the others set up with training=False); a finished experiment's
        # config already holds the adopted sections, so its init dir may be gone by then.
        if cfg["init"] and (training or (Path(cfg["init"]) / "config.yaml").is_file()):
            adopt_asr_architecture(cfg, Path(cfg["init"]))
        for role in cfg["data_roles"]:
            if role not in ROLES:
                raise ConfigError(f"config key 'data_roles': '{role}' is not one of {', '.join(ROLES)}")
        check_semi_supervised_config(cfg)
        asr = AsrTask().setup(cfg, expdir, training, tokenizer_optional=acoustic_only(cfg))
        classes = list(cfg["classes"])
        if not training and (expdir / CLASSES_FILE).is_file():
            classes = read_list(expdir / CLASSES_FILE)
        elif training and classes and (expdir / CLASSES_FILE).is_file() and read_list(expdir / CLASSES_FILE) != classes:
            raise ConfigError(f"config key 'classes' differs from {expdir / CLASSES_FILE} of this experiment")
        speakers = read_list(expdir / SPEAKERS_FILE) if not training and (expdir / SPEAKERS_FILE).is_file() else None
        return SimpleNamespace(tokenizer=asr.tokenizer, unknown=asr.unknown, expdir=expdir,
                               emotion=EmotionParser(classes, dict(cfg["label_map"])), speaker=SpeakerParser(speakers),
                               class_counts=None, confidences=bool(cfg["pseudo"]["confidence_weighting"]),
                               lexical_identity=setup_whisper_lexical(cfg, expdir, training))

    def check_inputs(self, cfg, resources, datasets) -> None:
        """Decoder states of the Whisper the model reads, in every training and validation dir."""
        from jsertk.tasks.upstream import check_lexical_dirs

        if resources.lexical_identity is not None:
            for ds in datasets:
                check_lexical_dirs(resources.lexical_identity, ds.lexical_dirs)

    def data_options(self, cfg) -> dict:
        return {"lexical": cfg["lexical"]["source"] == "whisper_states"}

    def label_parsers(self, resources):
        from jsertk.data.schema import parse_confidence, parse_dims

        parsers = AsrTask().label_parsers(resources)
        parsers.update({"utt2emo": resources.emotion, "utt2dim": lambda utt, value: parse_dims(value),
                        "utt2spk": resources.speaker})
        if resources.confidences:  # read only when they weight the pseudo-label losses
            parsers.update({name: lambda utt, value: parse_confidence(value) for name in CONFIDENCE_FILES.values()})
        return parsers

    def label_report(self, resources):
        return AsrTask().label_report(resources)

    def check_data(self, cfg, resources, train_set) -> None:
        """After the training sets are read: check each set against its role, fix the class and
        speaker lists (saved beside the model) and count the classes."""
        roles = data_roles(cfg, len(train_set.dirs))
        for set_id, (d, role) in enumerate(zip(train_set.dirs, roles)):
            has = {name: any(v is not None for v, s in zip(train_set.labels.get(name, ()), train_set.set_ids)
                             if s == set_id)
                   for name in ("utt2emo", "text")}
            need = {"ser": ("utt2emo",), "asr": ("text",), "pseudo": ("utt2emo", "text")}.get(role, ())
            if need and not any(has[n] for n in need):
                raise ConfigError(f"{d}: given as {role.upper()} training data (data_roles) but has no "
                                  f"{' or '.join(need)} labels; mark it with another role in 'data_roles' "
                                  f"({', '.join(ROLES)})")
            if role == "pseudo" and resources.confidences:
                _check_confidences(d, set_id, train_set)
        emo = resources.emotion
        if not emo.fixed:
            remap = emo.freeze()
            train_set.labels["utt2emo"] = [None if v is None else remap[v] for v in train_set.labels["utt2emo"]]
        if not emo.index:
            raise ConfigError("no emotion classes: set 'classes' in the config or give training data with utt2emo")
        resources.speaker.frozen = True
        counts = [0] * len(emo.index)
        for v in train_set.labels["utt2emo"]:
            if v is not None:
                counts[v] += 1
        resources.class_counts = counts
        save_list(resources.expdir / CLASSES_FILE, list(emo.index))
        save_list(resources.expdir / SPEAKERS_FILE, list(resources.speaker.index))

    def build(self, cfg, resources, input_dim, training):
        import torch

        from jsertk.models.jser import JointModel

        asr = AsrTask().build(cfg, resources, input_dim, training)
        init_from_joint = training and cfg["init"] and init_model_type(Path(cfg["init"])) == "jser"
        if training and cfg["init"] and not init_from_joint:
            load_asr_init(asr, Path(cfg["init"]))
        classes = list(resources.emotion.index)
        weights, prior = None, None
        if resources.class_counts is not None:
            counts = torch.tensor(resources.class_counts, dtype=torch.float32)
            prior = (counts.clamp(min=1) / counts.clamp(min=1).sum()).tolist()
            if cfg["class_weights"]:
                weights = counts.sum() / (len(counts) * counts.clamp(min=1))
        lexical = dict(cfg["lexical"])
        if resources.lexical_identity is not None:
            lexical["input_dim"] = resources.lexical_identity["dim"]
        try:
            model = JointModel(asr, classes, len(resources.speaker.index), asr_weight=cfg["asr_weight"],
                               lexical=lexical, fusion=dict(cfg["fusion"]), heads=dict(cfg["heads"]),
                               aae=dict(cfg["aae"]), class_weights=weights, class_prior=prior,
                               pseudo=dict(cfg["pseudo"]), distribution_matching=dict(cfg["distribution_matching"]),
                               mixup=dict(cfg["mixup"]))
        except ValueError as e:
            raise ConfigError(f"model 'jser': {e}") from None
        if init_from_joint:
            load_joint_init(model, Path(cfg["init"]))
        model.lexical_identity = resources.lexical_identity  # what decoding checks the dumped states against
        return model


def setup_whisper_lexical(cfg: dict, expdir: Path, training: bool) -> dict | None:
    """For lexical.source whisper_states: the Whisper's identity (folder, digest, dimension), found
    from lexical.whisper when training and saved as EXPDIR/lexical.yaml, read from there after (the
    folder itself is not needed once its states are dumped)."""
    import yaml

    from jsertk.tasks.upstream import LEXICAL_CONFIG, whisper_lexical_identity
    from jsertk.utils.atomic import atomic_write_text

    if cfg["lexical"]["source"] != "whisper_states":
        return None
    path = expdir / LEXICAL_CONFIG
    if training:
        if not cfg["lexical"]["whisper"]:
            raise ConfigError("config key 'lexical.whisper' must name the local Whisper folder whose decoder states "
                              "(jsertk dump-lexical) the lexical view reads, as lexical.source is whisper_states")
        identity = whisper_lexical_identity(cfg["lexical"]["whisper"])
        atomic_write_text(path, yaml.safe_dump(identity, sort_keys=False))
        return identity
    if not path.is_file():
        raise ConfigError(f"{path}: not found; a model with lexical.source whisper_states records its Whisper there")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def acoustic_only(cfg: dict) -> bool:
    """A joint model that neither trains nor reads transcripts of its own: no ASR loss, and no lexical
    view or one reading a pretrained Whisper's (whisper_states). It needs no tokenizer
    ('tokenizer: ""'); with one, its CTC head still decodes transcripts."""
    return cfg["asr_weight"] == 0 and cfg["lexical"]["source"] in ("none", "whisper_states")


def data_roles(cfg: dict, num_dirs: int) -> list[str]:
    """The role of each training dir (`data_roles`, default all `ser`)."""
    roles = list(cfg["data_roles"]) or ["ser"] * num_dirs
    if len(roles) != num_dirs:
        raise ConfigError(f"config key 'data_roles' has {len(roles)} roles for {num_dirs} training data dirs")
    for role in roles:
        if role not in ROLES:
            raise ConfigError(f"config key 'data_roles': '{role}' is not one of {', '.join(ROLES)}")
    return roles


def check_semi_supervised_config(cfg: dict) -> None:
    """The `pseudo`, `distribution_matching` and `aae.unlabelled` keys."""
    pseudo, dm = cfg["pseudo"], cfg["distribution_matching"]
    checks = [("pseudo.emotion_weight", _non_negative(pseudo["emotion_weight"]), "a number >= 0"),
              ("pseudo.asr_weight", _non_negative(pseudo["asr_weight"]), "a number >= 0"),
              ("pseudo.confidence_weighting", isinstance(pseudo["confidence_weighting"], bool), "true or false"),
              ("distribution_matching.weight", _non_negative(dm["weight"]), "a number >= 0"),
              ("distribution_matching.warmup_steps", isinstance(dm["warmup_steps"], int)
               and not isinstance(dm["warmup_steps"], bool) and dm["warmup_steps"] >= 0, "an integer >= 0"),
              ("distribution_matching.apply_to", dm["apply_to"] in DM_APPLY_TO, " or ".join(DM_APPLY_TO)),
              ("aae.unlabelled", isinstance(cfg["aae"]["unlabelled"], bool), "true or false"),
              ("mixup.alpha", _non_negative(cfg["mixup"]["alpha"]), "a number >= 0")]
    for key, ok, what in checks:
        if not ok:
            section, name = key.split(".")
            raise ConfigError(f"config key '{key}' must be {what}, got {cfg[section][name]!r}")
    heads = cfg["heads"]
    if dm["weight"] > 0 and not (heads["emotion_acoustic"] > 0 and heads["emotion_lexical"] > 0):
        raise ConfigError(f"config key 'distribution_matching.weight' is {dm['weight']}, which needs both single-view "
                          "emotion heads: set 'heads.emotion_acoustic' and 'heads.emotion_lexical' above 0 (they are "
                          f"{heads['emotion_acoustic']} and {heads['emotion_lexical']}), or the weight to 0")


def _non_negative(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0


CONFIDENCE_FILES = {"utt2emo": "utt2emo_conf", "text": "utt2text_conf"}


def _check_confidences(d: Path, set_id: int, train_set) -> None:
    """With confidence weighting, every pseudo label needs its confidence."""
    for label, conf in CONFIDENCE_FILES.items():
        for utt, v, c, s in zip(train_set.utts, train_set.labels[label], train_set.labels[conf], train_set.set_ids):
            if s == set_id and v is not None and c is None:
                raise ConfigError(f"{d}: utterance '{utt}' has a pseudo label in '{label}' but no confidence in "
                                  f"'{conf}', which pseudo.confidence_weighting needs; write {conf} (jsertk "
                                  "pseudolabel does) or set pseudo.confidence_weighting to false")


