#!/usr/bin/env bash
# The shared stage script of the emotion recipes scored by speaker-independent cross-validation
# (egs/{emodb,urdu,ravdess,iemocap,cremad,meld,manifest}/jser1). A recipe's run.sh names its corpus
# and calls
#     ./jser_folds.sh --corpus <name> ... "$@"
# from the recipe directory, which holds local/data.sh (writing data/<name>: one data dir of the
# whole corpus with spk2fold or utt2fold) and links to this script, path.sh, cmd.sh, steps/ and
# utils/. Every stage skips the work it has already done (a .done marker written last, holding the
# settings it was made with), fold by fold.
set -euo pipefail

help_message="Usage: $0 [options]
Runs stages --stage .. --stop-stage of a cross-validated emotion recipe; run it from the recipe directory.
Stages:
  0  data preparation: local/data.sh --corpus-root R --nj N --datadir DIR <local-data-opts> -> <datadir>/<corpus>,
     then jsertk data validate
  1  features: fbank of the whole corpus in --nj jobs (steps/make_fbank.sh) -> <dumpdir>/fbank/<corpus>
     (<dumpdir>/fbank_pitch/<corpus> with --fbank-opts --pitch);
     with --upstream DIR the hidden states of that pretrained encoder instead (jsertk dump-upstream)
     -> <dumpdir>/upstream_<DIR name>/<corpus>
  2  folds: jsertk data folds -> <dumpdir>/<features>/<corpus>/folds/fold<k>/{train,dev,test} (speaker-
     disjoint; dev speakers taken from the training speakers, --fold-dev); global CMVN statistics of
     each fold's training set only
  3  (--model joint) per fold: tokenizer and ASR pretraining on the fold's training transcripts,
     unless --asr-exp names one ASR experiment to start every fold from
  4  per fold: the emotion model (jsertk train --config \$ser_config) on fold<k>/train, selected on fold<k>/dev;
     with --nseeds N, N of them (seeds 0..N-1: <ser exp>, <ser exp>_seed1, ...)
  5  per fold: decoding and scoring of fold<k>/test (and dev) in --decode-nj jobs (steps/decode.sh); with
     --nseeds N > 1 by the ensemble of the N models (posteriors averaged) -> decode_ens<N>_{dev,test}; with
     --tta true also the speed-perturbed copies of dev and test (stage 1's), each utterance's posteriors averaged
     over itself and its copies (jsertk fuse-posteriors) -> decode_[ens<N>_]tta_{dev,test}
  6  jsertk score-folds over the folds run: per-fold UA/WA/macro-F1, mean +- std, pooled with 95%
     bootstrap intervals, confusion -> <expdir>/<ser exp>_folds/{RESULTS.md,results.json,pooled/}
     (<ser exp>_ens<N>_folds with --nseeds N > 1, <ser exp>[_ens<N>]_tta_folds with --tta true)
  7  (with --cross-test-sets) cross-corpus: this corpus's labels mapped to the shared classes
     (--cross-class-map), one model trained on every speaker but fold 1's dev speakers (its dev set),
     tested on each other corpus's features mapped alike and scored as in stage 6 ->
     <expdir>/cross_<ser exp>/results_<test corpus>/RESULTS.md
  8  (with --baselines) classical baselines on the same folds: openSMILE functionals (jsertk
     compute-functionals) + a linear SVM with C chosen on each fold's dev speakers (jsertk
     baseline-svm); with --upstream also 'probe': the mean and std of every dumped hidden state
     (jsertk pool-feats) + a ridge classifier (alpha on dev); scored by score-folds ->
     <expdir>/baseline_<set>[_spknorm]_folds/; then
     <expdir>/RESULTS.md: the model and every baseline, with paired p-values against the model
  9  (with --ssl-labelled-speakers N) semi-supervised learning on the corpus's own speech: per fold, the
     emotion labels of N of the training speakers (drawn at random) are kept, the other training
     speakers' speech is the unlabelled pool (<fold>/ssl<N>/{lab,unlab}), and the --ssl-systems are trained
     on them, decoded and scored over the folds -> <expdir>/<ser exp>_ssl<N>_<system>_folds; table with
     paired p-values against the supervised-only system -> <expdir>/RESULTS_<ser exp>_ssl<N>.md (with stage 6's
     all-labels model as the upper bound when it has been run); with --ssl-draws D > 1, D draws of the
     labelled speakers per fold (<fold>/ssl<N>_draw<j>, <ser exp>_ssl<N>_draw<j>_<system>), scored together
     -> <expdir>/<ser exp>_ssl<N>_draws<D>_<system>_folds, <expdir>/RESULTS_<ser exp>_ssl<N>_draws<D>.md
With --cross-ssl true, stage 7 also trains the --ssl-systems with each test corpus's speech as the
unlabelled pool (transductive: the test utterances' audio, never their labels) ->
<expdir>/cross_<ser exp>/ssl_<test corpus>/{ser_<system>,results_<system>,RESULTS.md}.
Folds run: --folds \"1 3\" for some (stage 6 then scores those), empty for all.
--model acoustic (default) trains the acoustic-only joint model (no transcripts, no tokenizer): the
choice for corpora whose sentences are fixed (EmoDB, RAVDESS, CREMA-D: the words carry no emotion)
or absent (URDU). --model joint adds the ASR branch and the lexical view (IEMOCAP, MELD)."

stage=0                   # first stage to run
stop_stage=10000          # last stage to run
nj=$(nproc 2>/dev/null || echo 4)  # parallel jobs (default: the number of CPUs)
ngpu=0                    # GPUs per training job: 0 = CPU, 1 = one GPU, N > 1 = torchrun with N processes (DDP)
corpus=                   # the corpus's data dir name: <datadir>/<corpus> (required; the recipe sets it)
corpus_root=              # the corpus as its owners distribute it (stage 0: local/data.sh --corpus-root)
local_data_opts=          # more options for local/data.sh (see local/data.sh --help)
datadir=data              # Kaldi data dirs
dumpdir=dump              # features: <dumpdir>/fbank/<corpus> (fbank_pitch with --fbank-opts "--pitch"), folds under it
expdir=exp                # experiments: <expdir>/fold<k>/<ser exp>, results <expdir>/<ser exp>_folds
fbank_opts=               # more jsertk compute-fbank options, e.g. "--resample" for audio not at 16 kHz, "--pitch"
                          # for Kaldi's pitch columns (features in <dumpdir>/fbank_pitch, experiments named ..._pitch)
speed_perturb_factors=    # e.g. "0.9 1.1": speed-perturbed copies of each fold's training speakers join its
                          # training data (stage 1 makes and extracts them for the corpus, stage 4 picks the
                          # fold's; never dev or test); empty: none. fbank only
noise_aug=                # additive-noise copies of each fold's training speakers join its training data:
                          # "generated" (white, pink and brown noise), a folder of noise recordings (MUSAN:
                          # musan/noise), or both ("generated /data/musan/noise"); empty: none. fbank only
noise_snrs="5 10 15 20"   # --noise-aug: SNRs in dB, one drawn per recording
noise_copies=1            # --noise-aug: noisy copies of each recording
upstream=                 # a local pretrained speech encoder (transformers folder: wav2vec2, hubert, wavlm,
                          # data2vec-audio, whisper): frozen, dumped once in stage 1, its layers' weighted sum
                          # feeds the model (config: conf/train_ser_upstream.yaml); empty: fbank
whisper_input=crop        # a Whisper upstream's input: crop (to the utterance) or pad (to 30 s); docs/upstreams.md
upstream_opts=            # more jsertk dump-upstream options, e.g. "--device cuda"
fold_scheme="file"        # jsertk data folds --scheme: file (the corpus's spk2fold/utt2fold), auto, loso, groups:N
fold_dev=next-fold        # dev set of each fold, from its training speakers: next-fold or speakers:N
fold_opts=                # more jsertk data folds options, e.g. --allow-shared-speakers (an official split)
folds=                    # folds to run, e.g. "1 3" (empty: all)
model=acoustic            # acoustic (acoustic-only joint model) or joint (ASR branch + lexical view)
ser_config=               # emotion model config (stage 4); empty: conf/train_ser.yaml, with --upstream
                          # conf/train_ser_upstream.yaml
ser_tag=                  # experiment name <expdir>/fold<k>/ser_<tag> (empty: the config's name, train_ser.yaml -> ser)
ser_args=                 # more jsertk train options for stage 4, e.g. "--set train.max_epochs=5"
nseeds=1                  # emotion models per fold (stage 4, seeds 0..N-1); N > 1: stages 5-6 score their ensemble
tta=false                 # stages 5-6: test-time augmentation: dev and test decoded as they are and as their
                          # --speed-perturb-factors copies, each utterance's posteriors averaged (fbank only)
asr_exp=                  # --model joint: ASR experiment every fold starts from (empty: stage 3 trains one per fold)
asr_config=conf/train_asr.yaml  # --model joint, stage 3: ASR pretraining config
asr_args=                 # more jsertk train options for stage 3
token_type=bpe            # --model joint, stage 3: tokenizer (bpe, unigram or char)
nbpe=150                  # its vocabulary size (bpe/unigram)
decode_nj=                # decoding jobs per set in stage 5 (empty: --nj)
decode_max_frames=20000   # padded input frames per decoding batch
bootstrap_unit=utterance  # stage 6: what the 95% intervals resample (utterance or speaker)
results_title=            # stage 6: heading of RESULTS.md (empty: corpus and experiment)
cross_test_sets=          # stage 7: feature dirs of other corpora to test on, space separated (their recipes'
                          # dump/fbank/<corpus>, or dump/upstream_<name>/<corpus>, made by their stages 0-1), e.g. ../../urdu/jser1/dump/fbank/urdu
cross_class_map=conf/shared_classes.yaml  # stage 7: every corpus's labels -> the shared classes
baselines=                # stage 8: baselines, space separated: egemaps, compare (openSMILE sets), probe (the
                          # linear probe of --upstream's states), each with +spk for per-speaker
                          # normalisation, e.g. "egemaps egemaps+spk compare" (empty: none)
ssl_labelled_speakers=0   # stage 9: training speakers per fold whose emotion labels are kept (the rest: unlabelled
                          # pool), e.g. 3; 0: no stage 9
ssl_draws=1               # stage 9: random draws of the labelled speakers per fold (draw j's seed: the fold
                          # number + 1000 (j - 1); a draw repeating an earlier one's speakers is drawn again
                          # with the seed + 1);
                          # with N > 1 every system is trained once per draw and scored as repeated cross-
                          # validation (score-folds --repeats N): mean over every (draw, fold), intervals
                          # resampling each test utterance with all its draws
ssl_systems="sup pseudo aae aux all"  # stages 7 (--cross-ssl) and 9: sup (labelled speech only), pseudo (+ rounds
                          # of pseudo labels on the pool, the first from sup's model), aae (+ the adversarial
                          # autoencoder on the pool), aux (+ gender and speaker heads on the pool), all (the three,
                          # with the first round's pseudo labels)
ssl_rounds=2              # pseudo: at most this many pseudo-label rounds, round r's teacher being round r-1's
                          # student; pseudo is the round whose student has the best dev UA (the rounds stop at
                          # the first that does not improve it)
ssl_aux_weight=0.3        # aux, all: loss weight of the gender and of the speaker head
ssl_pseudolabel_opts="--agreement any --threshold 0.5"  # pseudo, all: jsertk pseudolabel selection options
ssl_args=                 # more jsertk train options for every semi-supervised system (after --ser-args)
cross_ssl=false           # stage 7: also the --ssl-systems with each test corpus's speech as the unlabelled pool

if [ ! -f utils/parse_options.sh ] || [ ! -d steps ] || [ ! -x local/data.sh ]; then
  echo "jser_folds.sh: run me from a recipe directory (egs/<corpus>/jser1 with utils/, steps/ and local/data.sh)" >&2
  exit 1
fi
# shellcheck source=SCRIPTDIR/../../../tools/utils/parse_options.sh  # utils -> tools/utils in a recipe dir
. utils/parse_options.sh
if [ $# -gt 0 ]; then
  echo "jser_folds.sh: unexpected argument '$1' (options are --name value; see $0 --help)" >&2
  exit 1
fi
# shellcheck source=SCRIPTDIR/path.sh
. ./path.sh
# shellcheck source=SCRIPTDIR/cmd.sh
. ./cmd.sh
# shellcheck source=SCRIPTDIR/steps/lib.sh
. steps/lib.sh

if [ -z "${corpus}" ]; then
  echo "jser_folds.sh: --corpus is required (see $0 --help)" >&2
  exit 1
fi
case "${model}" in acoustic|joint) ;; *)
  echo "jser_folds.sh: --model must be acoustic or joint, got '${model}'" >&2; exit 1 ;;
esac
case "${tta}" in true|false) ;; *)
  echo "jser_folds.sh: --tta must be true or false, got '${tta}'" >&2; exit 1 ;;
esac
if [ "${tta}" = true ] && [ -z "${speed_perturb_factors}" ]; then
  echo "jser_folds.sh: --tta true decodes the speed-perturbed copies of dev and test: give --speed-perturb-factors" >&2
  exit 1
fi
for n in ngpu nj nseeds noise_copies ssl_labelled_speakers ssl_draws ssl_rounds; do
  zero_ok=false; case "${n}" in ngpu|ssl_labelled_speakers) zero_ok=true ;; esac
  if ! [[ "${!n}" =~ ^[0-9]+$ ]] || { [ "${zero_ok}" = false ] && [ "${!n}" -lt 1 ]; }; then
    echo "jser_folds.sh: --${n//_/-} must be a $([ "${zero_ok}" = false ] && echo positive || echo non-negative) integer, got '${!n}'" >&2
    exit 1
  fi
done
decode_nj=${decode_nj:-${nj}}

data=${datadir}/${corpus}
feat_type=fbank
# fbank with pitch columns (--fbank-opts "--pitch") in a dump dir of its own, as ESPnet's fbank_pitch:
# switching the option overwrites neither the other features nor (unless --ser-tag names both alike)
# the models trained on them
case " ${fbank_opts} " in *" --pitch "*) feat_type=fbank_pitch ;; esac
if [ -n "${upstream}" ]; then
  if [ "${model}" = joint ]; then
    log "error: --upstream works with --model acoustic only (the ASR branch of --model joint reads fbank)"; exit 1
  fi
  [ -f "${upstream}/config.json" ] || { log "error: --upstream ${upstream}: no config.json (a local transformers model folder)"; exit 1; }
  upstream=$(cd "${upstream}" && pwd)  # absolute: the experiments name it from anywhere
  # one dump dir per upstream and Whisper input mode
  feat_type=upstream_$(basename "${upstream}")$([ "${whisper_input}" = crop ] || echo "_${whisper_input}")
fi
ser_config=${ser_config:-conf/train_ser$([ -z "${upstream}" ] || echo _upstream).yaml}
# what the emotion model is told of the upstream (stages 4 and 7)
upstream_set=(--set "frontend.upstream.path=${upstream}" --set "frontend.upstream.whisper_input=${whisper_input}")
feats=${dumpdir}/${feat_type}/${corpus}
fold_root=${feats}/folds
ser_name=$(basename "${ser_config}" .yaml | sed 's/^train_//')  # conf/train_ser.yaml -> ser
# models over a Whisper upstream's padded input are other experiments than over its cropped input
[ -z "${upstream}" ] || [ "${whisper_input}" = crop ] || ser_name=${ser_name}_${whisper_input}
[ "${feat_type}" != fbank_pitch ] || ser_name=${ser_name}_pitch  # other inputs: another experiment
[ -z "${speed_perturb_factors}" ] || ser_name=${ser_name}_sp  # trained on other data: another experiment
[ -z "${noise_aug}" ] || ser_name=${ser_name}_noise
[ -z "${ser_tag}" ] || ser_name=ser_${ser_tag}
if [ -n "${speed_perturb_factors}" ] && [ -n "${upstream}" ]; then
  log "error: --speed-perturb-factors works with fbank only (not with --upstream)"; exit 1
fi
if [ -n "${noise_aug}" ] && [ -n "${upstream}" ]; then
  log "error: --noise-aug works with fbank only (not with --upstream)"; exit 1
fi
sp_data=${data}_sp        # the corpus's speed-perturbed copies (stage 1)
sp_feats=${feats}_sp
noise_data=${data}_noise  # the corpus's noisy copies (stage 1)
noise_feats=${feats}_noise
# --noise-aug as jsertk add-noise options
noise_opts=()
for n in ${noise_aug}; do
  if [ "${n}" = generated ]; then noise_opts+=(--generated "white,pink,brown")
  elif [ -d "${n}" ]; then noise_opts+=(--noise-dir "$(cd "${n}" && pwd)")
  else log "error: --noise-aug: '${n}' is neither 'generated' nor a folder of noise recordings"; exit 1; fi
done

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  # the recipe's class map is an input too: a changed one prepares the corpus again
  settings="local/data.sh --corpus-root ${corpus_root} ${local_data_opts}$([ ! -f conf/class_map.yaml ] || echo " (class map $(md5sum < conf/class_map.yaml | cut -c1-12))")"
  if is_done "${data}/.done.stage0" "${settings}"; then
    log "stage 0: ${data} ready, skipped"
  else
    log "stage 0: data preparation -> ${data}"
    # local/data.sh says what it needs (--corpus-root, or --manifest in egs/manifest)
    root_opt=
    # shellcheck disable=SC2016  # expanded by the eval below
    [ -z "${corpus_root}" ] || root_opt='--corpus-root "${corpus_root}"'
    eval "local/data.sh ${root_opt} --nj \"\${nj}\" --datadir \"\${datadir}\" ${local_data_opts}"
    [ -d "${data}" ] || { log "error: local/data.sh did not make ${data}"; exit 1; }
    jsertk data validate "${data}"
    mark_done "${data}/.done.stage0" "${settings}"
  fi
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  extract=(--extract-cmd compute-fbank --fbank-opts "${fbank_opts}")
  # one torch thread per job: --nj jobs share the machine's cores
  [ -z "${upstream}" ] || extract=(--extract-cmd dump-upstream --fbank-opts "--upstream ${upstream} --whisper-input ${whisper_input} --threads 1 ${upstream_opts}")
  settings="steps/make_fbank.sh ${extract[*]} ${data} ($(cat "${data}/.done.stage0" 2>/dev/null))"
  if is_done "${feats}/.done.stage1" "${settings}"; then
    log "stage 1: ${feats} done before, skipped"
  else
    log "stage 1: ${feat_type} features of ${data} -> ${feats}"
    SECONDS=0
    steps/make_fbank.sh --nj "${nj}" --cmd "${feats_cmd}" "${extract[@]}" --cmvn false "${data}" "${feats}"
    mark_done "${feats}/.done.stage1" "${settings}"
    log "stage 1: done in ${SECONDS} s"
  fi
  if [ -n "${speed_perturb_factors}" ]; then
    factors=$(xargs <<< "${speed_perturb_factors}" | tr ' ' ,)
    settings="jsertk speed-perturb --factors ${factors}; steps/make_fbank.sh ${extract[*]} ($(cat "${data}/.done.stage0" 2>/dev/null))"
    if is_done "${sp_feats}/.done.stage1" "${settings}"; then
      log "stage 1: ${sp_feats} done before, skipped"
    else
      log "stage 1: speed-perturbed copies (${factors}) of ${data} -> ${sp_data}, features -> ${sp_feats}"
      jsertk speed-perturb "${data}" "${sp_data}" --factors "${factors}"
      steps/make_fbank.sh --nj "${nj}" --cmd "${feats_cmd}" "${extract[@]}" --cmvn false "${sp_data}" "${sp_feats}"
      mark_done "${sp_feats}/.done.stage1" "${settings}"
    fi
  fi
  if [ -n "${noise_aug}" ]; then
    snrs=$(xargs <<< "${noise_snrs}" | tr ' ' ,)
    settings="jsertk add-noise ${noise_opts[*]} --snrs ${snrs} --copies ${noise_copies}; steps/make_fbank.sh ${extract[*]} ($(cat "${data}/.done.stage0" 2>/dev/null))"
    if is_done "${noise_feats}/.done.stage1" "${settings}"; then
      log "stage 1: ${noise_feats} done before, skipped"
    else
      log "stage 1: noisy copies (${noise_aug}; SNRs ${snrs} dB) of ${data} -> ${noise_data}, features -> ${noise_feats}"
      jsertk add-noise "${data}" "${noise_data}" "${noise_opts[@]}" --snrs "${snrs}" --copies "${noise_copies}"
      steps/make_fbank.sh --nj "${nj}" --cmd "${feats_cmd}" "${extract[@]}" --cmvn false "${noise_data}" "${noise_feats}"
      mark_done "${noise_feats}/.done.stage1" "${settings}"
    fi
  fi
fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
  log "stage 2: folds of ${feats} (--scheme ${fold_scheme} --dev ${fold_dev} ${fold_opts})"
  # reused by jsertk data folds itself when made from the same files with the same options
  # shellcheck disable=SC2086  # fold_opts is a list of words
  jsertk data folds "${feats}" --out "${fold_root}" --scheme "${fold_scheme}" --dev "${fold_dev}" ${fold_opts}
  for k in $(python3 -c 'import json, sys; print(" ".join(sorted(json.load(open(sys.argv[1]))["folds"], key=lambda f: int(f[4:]))))' "${fold_root}/folds.json"); do
    # normalisation statistics from the training speakers of the fold only
    [ -f "${fold_root}/${k}/train/cmvn.ark" ] || jsertk compute-cmvn "${fold_root}/${k}/train" --no-progress
  done
fi

# The folds to run: --folds, or every fold of folds.json.
all_folds=
[ -f "${fold_root}/folds.json" ] && all_folds=$(python3 -c 'import json, sys; print(" ".join(f[4:] for f in sorted(json.load(open(sys.argv[1]))["folds"], key=lambda f: int(f[4:]))))' "${fold_root}/folds.json")
run_folds=${folds:-${all_folds}}
for k in ${run_folds}; do
  if [ ! -d "${fold_root}/fold${k}" ]; then
    log "error: fold ${k} is not in ${fold_root} (folds: ${all_folds:-none yet: run stage 2})"; exit 1
  fi
done
fold_feats() { echo "${fold_root}/fold$1/$2"; }
# copies_of K PART: the speed-perturbed copies of fold K's PART speakers (fold<k>/<part>_sp, made here from
# stage 1's copies of the corpus)
copies_of() {
  local part sp
  part=$(fold_feats "$1" "$2"); sp=${part}_sp
  for f in ${speed_perturb_factors}; do
    f=$(printf '%g' "${f}")  # as jsertk speed-perturb names its copies: sp0.9-<speaker>
    [ "${f}" = 1 ] || awk -v p="sp${f}-" '{print p $1}' "${part}/spk2utt"
  done > "${part}.sp_speakers"
  jsertk data subset "${sp_feats}" "${sp}" --spk-list "${part}.sp_speakers" > /dev/null
  echo "${sp}"
}
# train_sets K: the training feature dirs of fold K: its train set, with --speed-perturb-factors the
# perturbed copies of its training speakers (fold<k>/train_sp), with --noise-aug their noisy copies
# (fold<k>/train_noise)
train_sets() {
  local train noisy
  train=$(fold_feats "$1" train)
  echo "${train}"
  [ -z "${speed_perturb_factors}" ] || copies_of "$1" train
  if [ -n "${noise_aug}" ]; then
    noisy=$(fold_feats "$1" train_noise)
    for ((c = 1; c <= noise_copies; c++)); do awk -v p="noise${c}-" '{print p $1}' "${train}/spk2utt"; done \
      > "${train}.noise_speakers"
    jsertk data subset "${noise_feats}" "${noisy}" --spk-list "${train}.noise_speakers" > /dev/null
    echo "${noisy}"
  fi
}
# fold_inputs K: a digest of fold K's training and dev utterances and labels, recorded in the
# markers of stages 3-4: folds remade otherwise (another --fold-scheme) retrain the models
fold_inputs() { cat "$(fold_feats "$1" train)/utt2spk" "$(fold_feats "$1" train)/utt2emo" "$(fold_feats "$1" dev)/utt2spk" | md5sum | cut -c1-12; }
ser_exp() { echo "${expdir}/fold$1/${ser_name}"; }
# seed_exps K: the emotion models of fold K, one per seed (the first is ser_exp K)
seed_exps() { ser_exp "$1"; for ((s = 1; s < nseeds; s++)); do echo "$(ser_exp "$1")_seed${s}"; done; }
dec_tag=; [ "${nseeds}" -eq 1 ] || dec_tag=ens${nseeds}_  # decode_<tag><part>: a fold's ensemble decodes
score_tag=${dec_tag}; [ "${tta}" = false ] || score_tag=${dec_tag}tta_  # the decodes stages 6 and 8 score
asr_fold_exp() { echo "${expdir}/fold$1/asr_$(basename "${asr_config}" .yaml | sed 's/^train_//')"; }
token_dir() { echo "${datadir}/token_list/fold$1/${token_type}$([ "${token_type}" = char ] || echo "${nbpe}")"; }

# ssl_train STAGE PREFIX LAB UNLAB DEV [TRAIN OPTIONS]: the --ssl-systems, each <PREFIX>_<system>, trained on
# the emotion-labelled feature dir LAB and the unlabelled pool UNLAB (a feature dir without utt2emo: its
# speech, speakers and genders), selected on DEV; TRAIN OPTIONS (config, init) are every system's.
# Pseudo labels (pseudo, all) are sup's on the pool, in UNLAB_pl (scored against UNLAB/.ref/utt2emo when there).
ssl_train() {
  local stage_no=$1 prefix=$2 lab=$3 unlab=$4 dev=$5; shift 5
  local inputs pl_inputs='' pl rest sys aux_set=(--set "heads.gender=${ssl_aux_weight}" --set "heads.speaker=${ssl_aux_weight}")
  inputs="$(cat "${lab}/utt2spk" "${lab}/utt2emo" "${unlab}/utt2spk" "${dev}/utt2spk" | md5sum | cut -c1-12)"
  # shellcheck disable=SC2086  # ser_args and ssl_args are lists of words
  train_inputs=${inputs} train_model "${stage_no}" "${prefix}_sup" "${lab}" --valid "${dev}" "$@" ${ser_args} ${ssl_args}
  pl=${unlab}_pl; rest=${unlab}_rest
  if [[ " ${ssl_systems} " =~ \ (pseudo|all)\  ]]; then
    local settings
    settings="jsertk pseudolabel --model ${prefix}_sup ($(stat -c '%s %Y' "${prefix}_sup/model.pth")) ${ssl_pseudolabel_opts}"
    if ! is_done "${pl}/.done.ssl" "${settings}"; then
      log "stage ${stage_no}: ${prefix}_sup pseudo-labels ${unlab} -> ${pl}"
      local ref=(); [ ! -d "${unlab}/.ref" ] || ref=(--ref "${unlab}/.ref")
      # shellcheck disable=SC2086  # ssl_pseudolabel_opts is a list of words
      jsertk pseudolabel --model "${prefix}_sup" --data "${unlab}" --labels-from "${unlab}" --out "${pl}" "${ref[@]}" \
        --nj "${decode_nj}" --backend "${cmd_backend}" ${ssl_pseudolabel_opts}
      # the pool's utterances that got no pseudo label, for the losses that need none (all)
      awk 'NR == FNR { kept[$1] = 1; next } !($1 in kept) { print $1 }' "${pl}/utt2spk" "${unlab}/utt2spk" > "${pl}.rest"
      rm -rf "${rest}"
      [ ! -s "${pl}.rest" ] || jsertk data subset "${unlab}" "${rest}" --utt-list "${pl}.rest" > /dev/null
      mark_done "${pl}/.done.ssl" "${settings}"
    fi
    pl_inputs="${inputs} $(md5sum < "${pl}/utt2emo" | cut -c1-12)"
  fi
  for sys in ${ssl_systems}; do
    # the pseudo labels are inputs of pseudo and all only (aae and aux do not retrain when they change)
    local data_args=() sys_inputs=${inputs}
    case "${sys}" in
      sup) continue ;;
      pseudo) data_args=("${lab}" "${pl}" --set "data_roles=[ser, pseudo]"); sys_inputs=${pl_inputs} ;;
      aae) data_args=("${lab}" "${unlab}" --set "data_roles=[ser, unlab]" --set aae.enabled=true) ;;
      aux) data_args=("${lab}" "${unlab}" --set "data_roles=[ser, aux]" "${aux_set[@]}") ;;
      all) if [ -d "${rest}" ]; then data_args=("${lab}" "${pl}" "${rest}" --set "data_roles=[ser, pseudo, aux]")
           else data_args=("${lab}" "${pl}" --set "data_roles=[ser, pseudo]"); fi
           data_args+=(--set aae.enabled=true "${aux_set[@]}"); sys_inputs=${pl_inputs} ;;
      *) log "error: --ssl-systems: '${sys}' is not sup, pseudo, aae, aux or all"; exit 1 ;;
    esac
    # shellcheck disable=SC2086  # ser_args and ssl_args are lists of words
    train_inputs=${sys_inputs} train_model "${stage_no}" "${prefix}_${sys}" "${data_args[@]}" --valid "${dev}" "$@" ${ser_args} ${ssl_args}
    [ "${sys}" != pseudo ] || ssl_pseudo_rounds "${stage_no}" "${prefix}" "${lab}" "${unlab}" "${dev}" "${pl_inputs}" "$@"
  done
}
# ssl_exp PREFIX SYSTEM: the experiment of a semi-supervised system: for pseudo, the round chosen on dev
ssl_exp() {
  if [ "$2" = pseudo ] && [ -f "$1_pseudo_rounds/final_model" ]; then cat "$1_pseudo_rounds/final_model"
  else echo "$1_$2"; fi
}
# ssl_pseudo_rounds STAGE PREFIX LAB UNLAB DEV INPUTS [TRAIN OPTIONS]: after round 1 (<PREFIX>_pseudo, trained
# on sup's pseudo labels), rounds 2..--ssl-rounds: the last student pseudo-labels UNLAB again (UNLAB_pl_r<r>)
# and a new student <PREFIX>_pseudo_r<r> trains from scratch on LAB and them; they stop at the first round
# whose dev UA is not above the best so far. <PREFIX>_pseudo_rounds/{rounds.tsv,final_model}: each round's
# dev UA and pseudo-label accuracy on the pool (when its true labels are in UNLAB/.ref), the round chosen.
ssl_pseudo_rounds() {
  local stage_no=$1 prefix=$2 lab=$3 unlab=$4 dev=$5 inputs=$6; shift 6
  local summary=${prefix}_pseudo_rounds student=${prefix}_pseudo teacher pl=${unlab}_pl r ua best best_ua settings
  local ref=(); [ ! -d "${unlab}/.ref" ] || ref=(--ref "${unlab}/.ref")
  mkdir -p "${summary}"
  printf 'round\tmodel\tdev_UA\tpseudo_labels_kept\tpseudo_label_accuracy\n' > "${summary}/rounds.tsv.tmp"
  for r in $(seq 1 "${ssl_rounds}"); do
    if [ "${r}" -gt 1 ]; then
      teacher=${student}; student=${prefix}_pseudo_r${r}; pl=${unlab}_pl_r${r}
      settings="jsertk pseudolabel --model ${teacher} ($(stat -c '%s %Y' "${teacher}/model.pth")) ${ssl_pseudolabel_opts}"
      if ! is_done "${pl}/.done.ssl" "${settings}"; then
        log "stage ${stage_no}: round ${r}: ${teacher} pseudo-labels ${unlab} -> ${pl}"
        # shellcheck disable=SC2086  # ssl_pseudolabel_opts is a list of words
        jsertk pseudolabel --model "${teacher}" --data "${unlab}" --labels-from "${unlab}" --out "${pl}" "${ref[@]}" \
          --nj "${decode_nj}" --backend "${cmd_backend}" ${ssl_pseudolabel_opts}
        mark_done "${pl}/.done.ssl" "${settings}"
      fi
      # shellcheck disable=SC2086  # ser_args and ssl_args are lists of words
      train_inputs="${inputs} $(md5sum < "${pl}/utt2emo" | cut -c1-12)" train_model "${stage_no}" "${student}" \
        "${lab}" "${pl}" --set "data_roles=[ser, pseudo]" --valid "${dev}" "$@" ${ser_args} ${ssl_args}
    fi
    [ -f "${student}/decode_dev/scores.json" ] && [ "${student}/decode_dev/scores.json" -nt "${student}/model.pth" ] \
      || decode_feats jser "${student}" "${dev}" "${dev}" "${student}/decode_dev"
    # to 4 decimals, as rounds.tsv shows it: the round chosen is the one the table says is best
    ua=$(python3 -c 'import json, sys; print("%.4f" % json.load(open(sys.argv[1]))["UA"])' "${student}/decode_dev/scores.json")
    python3 - "${r}" "${student}" "${ua}" "${pl}/pseudolabel.json" >> "${summary}/rounds.tsv.tmp" <<'PY'
import json, sys
r, model, ua, summary = sys.argv[1:]
pl = json.load(open(summary))
acc = ((pl.get("reference_emotion") or {}).get("kept") or {}).get("accuracy")
print(f"{r}\t{model}\t{float(ua):.4f}\t{pl['counts']['kept_emotion']}\t{'' if acc is None else f'{acc:.4f}'}")
PY
    log "stage ${stage_no}: pseudo-label round ${r} (${student}): dev UA ${ua}"
    if [ "${r}" -eq 1 ] || python3 -c 'import sys; sys.exit(not float(sys.argv[1]) > float(sys.argv[2]))' "${ua}" "${best_ua}"; then
      best=${student}; best_ua=${ua}
    else
      break
    fi
  done
  mv "${summary}/rounds.tsv.tmp" "${summary}/rounds.tsv"
  mark_done "${summary}/final_model" "${best}"
  log "stage ${stage_no}: pseudo: ${best} (dev UA ${best_ua}; ${summary}/rounds.tsv)"
}
# ssl_pool DIR: DIR becomes an unlabelled pool: its emotion labels moved to DIR/.ref/ (where only the
# scoring of pseudo labels reads them)
ssl_pool() {
  mkdir -p "$1/.ref"
  for f in utt2emo utt2dim; do [ ! -f "$1/${f}" ] || mv "$1/${f}" "$1/.ref/${f}"; done
}

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ] && [ "${model}" = joint ] && [ -z "${asr_exp}" ]; then
  for k in ${run_folds}; do
    tok=$(token_dir "${k}")
    settings="jsertk train-tokenizer $(fold_feats "${k}" train) --model-type ${token_type} --vocab-size ${nbpe}"
    if ! is_done "${tok}/.done.stage3" "${settings}"; then
      log "stage 3: fold ${k}: tokenizer (${token_type}) from the fold's training transcripts -> ${tok}"
      jsertk train-tokenizer "$(fold_feats "${k}" train)" --outdir "${tok}" --model-type "${token_type}" --vocab-size "${nbpe}"
      mark_done "${tok}/.done.stage3" "${settings}"
    fi
    # shellcheck disable=SC2086  # asr_args is a list of words
    train_inputs=$(fold_inputs "${k}") train_model 3 "$(asr_fold_exp "${k}")" "$(fold_feats "${k}" train)" --valid "$(fold_feats "${k}" dev)" \
      --config "${asr_config}" --set "tokenizer=${tok}" --set "cmvn=$(fold_feats "${k}" train)/cmvn.ark" ${asr_args}
  done
fi

if [ "${stage}" -le 4 ] && [ "${stop_stage}" -ge 4 ]; then
  if [ -n "${speed_perturb_factors}" ] && [ ! -f "${sp_feats}/feats.scp" ]; then
    log "error: ${sp_feats} has no features: run stage 1 with --speed-perturb-factors"; exit 1
  fi
  if [ -n "${noise_aug}" ] && [ ! -f "${noise_feats}/feats.scp" ]; then
    log "error: ${noise_feats} has no features: run stage 1 with --noise-aug"; exit 1
  fi
  for k in ${run_folds}; do
    init=()
    if [ "${model}" = joint ]; then
      init=(--init "${asr_exp:-$(asr_fold_exp "${k}")}")
    else
      init=(--set "cmvn=$(fold_feats "${k}" train)/cmvn.ark")
    fi
    [ -z "${upstream}" ] || init+=("${upstream_set[@]}")
    s=0
    for exp in $(seed_exps "${k}"); do
      seed=(); [ "${s}" -eq 0 ] || seed=(--set "seed=${s}")
      mapfile -t train_dirs < <(train_sets "${k}")
      # shellcheck disable=SC2086  # ser_args is a list of words
      train_inputs=$(fold_inputs "${k}") train_model 4 "${exp}" "${train_dirs[@]}" --valid "$(fold_feats "${k}" dev)" \
        --config "${ser_config}" "${init[@]}" ${ser_args} "${seed[@]}"
      s=$((s + 1))
    done
  done
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
  SECONDS=0
  if [ "${tta}" = true ] && [ ! -f "${sp_feats}/feats.scp" ]; then
    log "error: ${sp_feats} has no features: run stage 1 with --speed-perturb-factors"; exit 1
  fi
  for k in ${run_folds}; do
    exp=$(ser_exp "${k}")
    members=(); for m in $(seed_exps "${k}"); do members+=(--model-dir "${m}"); done
    for part in dev test; do
      out=${exp}/decode_${dec_tag}${part}
      # done: decoded after the models were written and after the fold's data were (re)made
      newer=true
      for m in $(seed_exps "${k}"); do [ "${out}/summary.json" -nt "${m}/model.pth" ] || newer=false; done
      if [ -f "${out}/summary.json" ] && ${newer} \
        && [ "${out}/summary.json" -nt "$(fold_feats "${k}" "${part}")/utt2spk" ]; then continue; fi
      log "stage 5: fold ${k}: decoding ${part} with ${exp}$([ "${nseeds}" -eq 1 ] || echo " and its other $((nseeds - 1)) seeds' models")"
      # the other seeds' models join the first as an ensemble (jsertk decode --model-dir A --model-dir B ...)
      decode_feats jser "${exp}" "$(fold_feats "${k}" "${part}")" "$(fold_feats "${k}" "${part}")" "${out}" "${members[@]:2}"
    done
    if [ "${tta}" = true ]; then
      for part in dev test; do
        plain=${exp}/decode_${dec_tag}${part}; copies=${plain}_sp; out=${exp}/decode_${dec_tag}tta_${part}
        if [ -f "${out}/summary.json" ] && [ "${out}/summary.json" -nt "${plain}/summary.json" ]; then continue; fi
        log "stage 5: fold ${k}: decoding the speed-perturbed copies of ${part} (--tta), fused -> ${out}"
        sp=$(copies_of "${k}" "${part}")
        decode_feats jser "${exp}" "${sp}" "${sp}" "${copies}" "${members[@]:2}"
        jsertk fuse-posteriors "${out}" "${plain}" "${copies}" --data "$(fold_feats "${k}" "${part}")" \
          --ref "$(fold_feats "${k}" "${part}")" > /dev/null
      done
    fi
    python3 - "${exp}/decode_${score_tag}test/scores.json" "${k}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"fold {sys.argv[2]}: test UA {100 * s['UA']:.1f}% WA {100 * s['WA']:.1f}% macro-F1 {100 * s['macro_F1']:.1f}% "
      f"({s['num_utterances']} utterances)", file=sys.stderr)
PY
  done
  log "stage 5: done in ${SECONDS} s"
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  decs=()
  for k in ${run_folds}; do decs+=("$(ser_exp "${k}")/decode_${score_tag}test"); done
  results=${expdir}/${ser_name}_${score_tag}folds
  [ -z "${folds}" ] || results=${results}_$(tr ' ' _ <<< "$(xargs <<< "${folds}")")
  log "stage 6: scoring ${#decs[@]} folds -> ${results}/RESULTS.md"
  jsertk score-folds "${decs[@]}" --out "${results}" --bootstrap-unit "${bootstrap_unit}" \
    --title "${results_title:-${corpus}: ${ser_name}, ${#decs[@]} speaker-independent folds}"
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ] && [ -n "${cross_test_sets}" ]; then
  if [ "${model}" = joint ] && [ -z "${asr_exp}" ]; then
    log "error: stage 7 with --model joint needs --asr-exp (one ASR model for the whole corpus)"; exit 1
  fi
  [ -f "${cross_class_map}" ] || { log "error: --cross-class-map ${cross_class_map} not found"; exit 1; }
  SECONDS=0
  shared=${dumpdir}/${feat_type}/${corpus}_shared
  cross=${shared}/cross
  log "stage 7: ${feats} -> ${shared} (classes of ${cross_class_map})"
  jsertk data map-classes "${feats}" "${shared}" --class-map "${cross_class_map}"
  # shellcheck disable=SC2086  # fold_opts is a list of words
  jsertk data folds "${shared}" --out "${shared}/folds" --scheme "${fold_scheme}" --dev "${fold_dev}" ${fold_opts} > /dev/null
  # every speaker trains but fold 1's dev speakers, who select the model
  jsertk data combine "${cross}/train" "${shared}/folds/fold1/train" "${shared}/folds/fold1/test"
  jsertk data combine "${cross}/dev" "${shared}/folds/fold1/dev"
  [ -f "${cross}/train/cmvn.ark" ] || jsertk compute-cmvn "${cross}/train" --no-progress
  cross_exp=${expdir}/cross_${ser_name}
  init=(--set "cmvn=${cross}/train/cmvn.ark")
  [ "${model}" = joint ] && init=(--init "${asr_exp}")
  [ -z "${upstream}" ] || init+=("${upstream_set[@]}")
  # shellcheck disable=SC2086  # ser_args is a list of words
  train_inputs="$(md5sum < "${cross}/train/utt2emo" | cut -c1-12)" train_model 7 "${cross_exp}" "${cross}/train" \
    --valid "${cross}/dev" --config "${ser_config}" "${init[@]}" ${ser_args}
  for test_feats in ${cross_test_sets}; do
    name=$(basename "${test_feats}")
    [ -f "${test_feats}/feats.scp" ] || { log "error: ${test_feats}: no feats.scp (run that corpus's recipe's stages 0-1)"; exit 1; }
    made_with=fbank.yaml; [ -z "${upstream}" ] || made_with=upstream.yaml
    if ! cmp -s "${test_feats}/${made_with}" "${feats}/${made_with}"; then
      log "error: ${test_feats}/${made_with} differs from ${feats}/${made_with}: the features must be made alike"; exit 1
    fi
    mapped=${dumpdir}/${feat_type}/cross_${name}
    jsertk data map-classes "${test_feats}" "${mapped}" --class-map "${cross_class_map}"
    decode_feats jser "${cross_exp}" "${mapped}" "${mapped}" "${cross_exp}/decode_${name}"
    jsertk score-folds "${cross_exp}/decode_${name}" --out "${cross_exp}/results_${name}" --names "${name}" \
      --bootstrap-unit "${bootstrap_unit}" --title "cross-corpus: ${corpus} -> ${name} (${ser_name}, shared classes)"
    [ "${cross_ssl}" = true ] || continue
    # the test corpus's speech as the unlabelled pool (its labels only ever score)
    pool=${mapped}_pool
    if [ ! -f "${pool}/feats.scp" ] || [ "${pool}/feats.scp" -ot "${mapped}/feats.scp" ]; then
      rm -rf "${pool}"; jsertk data combine "${pool}" "${mapped}" > /dev/null; ssl_pool "${pool}"
    fi
    ssl_dir=${cross_exp}/ssl_${name}
    ssl_train 7 "${ssl_dir}/ser" "${cross}/train" "${pool}" "${cross}/dev" --config "${ser_config}" "${init[@]}"
    results=()
    for sys in ${ssl_systems}; do
      exp=$(ssl_exp "${ssl_dir}/ser" "${sys}")
      [ -f "${exp}/decode_${name}/summary.json" ] && [ "${exp}/decode_${name}/summary.json" -nt "${exp}/model.pth" ] \
        || decode_feats jser "${exp}" "${mapped}" "${mapped}" "${exp}/decode_${name}"
      jsertk score-folds "${exp}/decode_${name}" --out "${ssl_dir}/results_${sys}" --names "${name}" \
        --bootstrap-unit "${bootstrap_unit}" --title "cross-corpus: ${corpus} -> ${name}, ${sys}" > /dev/null
      results+=("${ssl_dir}/results_${sys}")
    done
    python3 steps/systems_table.py --out "${ssl_dir}/RESULTS.md" --title \
      "cross-corpus ${corpus} -> ${name}: semi-supervised systems (pool: ${name}'s speech)" "${results[@]}" > /dev/null
    log "stage 7: semi-supervised systems -> ${ssl_dir}/RESULTS.md"
  done
  log "stage 7: done in ${SECONDS} s (results: ${cross_exp}/results_<corpus>/RESULTS.md)"
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ] && [ -n "${baselines}" ]; then
  SECONDS=0
  suffix=; [ -z "${folds}" ] || suffix=_$(tr ' ' _ <<< "$(xargs <<< "${folds}")")
  systems=()
  model_results=${expdir}/${ser_name}_${score_tag}folds${suffix}
  [ -f "${model_results}/results.json" ] && systems+=("${model_results}")
  for b in ${baselines}; do
    feature_set=${b%+spk}
    spk_opt=(); name=baseline_${feature_set}
    if [ "${b}" != "${feature_set}" ]; then spk_opt=(--speaker-norm); name=${name}_spknorm; fi
    classifier=svm
    case "${feature_set}" in egemaps|compare) ;;
      probe) [ -n "${upstream}" ] || { log "error: --baselines probe needs --upstream"; exit 1; }
             classifier=ridge; name=baseline_probe${feat_type#upstream}${name#baseline_probe} ;;
      *) log "error: --baselines: '${b}' is not egemaps, compare or probe (with an optional +spk)"; exit 1 ;;
    esac
    if [ "${feature_set}" = probe ]; then
      fdir=${dumpdir}/probe${feat_type#upstream}/${corpus}
      settings="jsertk pool-feats ${feats} ($(cat "${feats}/.done.stage1" 2>/dev/null))"
      if ! is_done "${fdir}/.done.stage8" "${settings}"; then
        log "stage 8: mean and std of the ${feat_type} states of ${feats} -> ${fdir}"
        jsertk pool-feats "${feats}" "${fdir}" --no-progress
        mark_done "${fdir}/.done.stage8" "${settings}"
      fi
    else
      fdir=${dumpdir}/${feature_set}/${corpus}
      settings="jsertk compute-functionals ${data} --feature-set ${feature_set} ($(cat "${data}/.done.stage0" 2>/dev/null))"
      if ! is_done "${fdir}/.done.stage8" "${settings}"; then
        log "stage 8: ${feature_set} functionals of ${data} -> ${fdir}"
        jsertk compute-functionals "${data}" "${fdir}" --feature-set "${feature_set}" --skip-bad --no-progress
        mark_done "${fdir}/.done.stage8" "${settings}"
      fi
    fi
    # shellcheck disable=SC2086  # fold_opts is a list of words
    jsertk data folds "${fdir}" --out "${fdir}/folds" --scheme "${fold_scheme}" --dev "${fold_dev}" ${fold_opts} > /dev/null
    decs=()
    for k in ${run_folds}; do
      out=${expdir}/fold${k}/${name}
      decs+=("${out}")
      # done: fitted after the fold's functionals were (re)made
      if [ -f "${out}/baseline.json" ] && [ "${out}/baseline.json" -nt "${fdir}/folds/fold${k}/train/utt2spk" ]; then
        continue
      fi
      jsertk baseline-svm --train "${fdir}/folds/fold${k}/train" --dev "${fdir}/folds/fold${k}/dev" \
        --test "${fdir}/folds/fold${k}/test" --out "${out}" --classifier "${classifier}" "${spk_opt[@]}" > /dev/null
    done
    what="openSMILE ${feature_set} + linear SVM"
    [ "${feature_set}" != probe ] || what="mean and std of the ${feat_type#upstream_} states + ridge"
    jsertk score-folds "${decs[@]}" --out "${expdir}/${name}_folds${suffix}" --bootstrap-unit "${bootstrap_unit}" \
      --title "${corpus}: ${name} (${what}), ${#decs[@]} speaker-independent folds" \
      | grep 'mean ± std' >&2
    systems+=("${expdir}/${name}_folds${suffix}")
  done
  python3 steps/systems_table.py --out "${expdir}/RESULTS${suffix}.md" --title "${corpus}: systems on the same folds" \
    "${systems[@]}" > /dev/null
  log "stage 8: done in ${SECONDS} s (table: ${expdir}/RESULTS${suffix}.md)"
fi

if [ "${stage}" -le 9 ] && [ "${stop_stage}" -ge 9 ] && [ "${ssl_labelled_speakers}" -gt 0 ]; then
  if [ "${model}" = joint ]; then
    log "error: stage 9 works with --model acoustic (the ASR branch would need its own labelled split)"; exit 1
  fi
  SECONDS=0
  n=${ssl_labelled_speakers}
  suffix=; [ -z "${folds}" ] || suffix=_$(tr ' ' _ <<< "$(xargs <<< "${folds}")")
  draws=; draws_title=  # with --ssl-draws D > 1: the names' _draws<D>, the titles' (D draws)
  [ "${ssl_draws}" -eq 1 ] || { draws=_draws${ssl_draws}; draws_title=" (${ssl_draws} draws)"; }
  draw_tag() { if [ "$1" -eq 1 ]; then echo "ssl${n}"; else echo "ssl${n}_draw$1"; fi; }
  for k in ${run_folds}; do
    train=$(fold_feats "${k}" train)
    nspk=$(wc -l < "${train}/spk2utt")
    if [ "${n}" -ge "${nspk}" ]; then
      log "error: --ssl-labelled-speakers ${n}: fold ${k} has only ${nspk} training speakers"; exit 1
    fi
    if ! python3 -c 'import math, sys; a, b, d = map(int, sys.argv[1:]); sys.exit(math.comb(a, b) < d)' "${nspk}" "${n}" "${ssl_draws}"; then
      log "error: --ssl-draws ${ssl_draws}: fold ${k}'s ${nspk} training speakers have fewer sets of ${n}"; exit 1
    fi
    for j in $(seq 1 "${ssl_draws}"); do
      split=$(fold_feats "${k}" "$(draw_tag "${j}")")
      if [ ! -f "${split}/unlab/feats.scp" ] || [ "${split}/unlab/feats.scp" -ot "${train}/feats.scp" ]; then
        rm -rf "${split}"
        # the labelled speakers: N of the fold's training speakers at random, a set no earlier draw had
        draw_seed=$((k + 1000 * (j - 1)))
        while :; do
          jsertk data subset "${train}" "${split}/lab" --random "${n}" --unit speaker --seed "${draw_seed}" > /dev/null
          speakers=$(cut -d' ' -f1 "${split}/lab/spk2utt" | sort | xargs)
          seen=false
          for i in $(seq 1 $((j - 1))); do
            [ "$(cut -d' ' -f1 "$(fold_feats "${k}" "$(draw_tag "${i}")")/lab/spk2utt" | sort | xargs)" != "${speakers}" ] || seen=true
          done
          [ "${seen}" = true ] || break
          rm -rf "${split}/lab"; draw_seed=$((draw_seed + 1))
        done
        cut -d' ' -f1 "${split}/lab/spk2utt" | awk 'NR == FNR { lab[$1] = 1; next } !($1 in lab) { print $1 }' - \
          "${train}/spk2utt" > "${split}/unlab.speakers"
        jsertk data subset "${train}" "${split}/unlab" --spk-list "${split}/unlab.speakers" > /dev/null
        ssl_pool "${split}/unlab"
      fi
      log "stage 9: fold ${k}$([ "${ssl_draws}" -eq 1 ] || echo ", draw ${j}"): labelled speakers $(cut -d' ' -f1 "${split}/lab/spk2utt" | xargs), unlabelled $(xargs < "${split}/unlab.speakers")"
      init=(--set "cmvn=${train}/cmvn.ark")
      prefix=$(ser_exp "${k}")_$(draw_tag "${j}")
      ssl_train 9 "${prefix}" "${split}/lab" "${split}/unlab" "$(fold_feats "${k}" dev)" --config "${ser_config}" "${init[@]}"
      for sys in ${ssl_systems}; do
        exp=$(ssl_exp "${prefix}" "${sys}")
        out=${exp}/decode_test
        [ -f "${out}/summary.json" ] && [ "${out}/summary.json" -nt "${exp}/model.pth" ] \
          || decode_feats jser "${exp}" "$(fold_feats "${k}" test)" "$(fold_feats "${k}" test)" "${out}"
      done
    done
  done
  systems=()
  for sys in ${ssl_systems}; do
    decs=()  # draw 1's folds, then draw 2's, ...: the runs of score-folds --repeats
    for j in $(seq 1 "${ssl_draws}"); do
      for k in ${run_folds}; do decs+=("$(ssl_exp "$(ser_exp "${k}")_$(draw_tag "${j}")" "${sys}")/decode_test"); done
    done
    out=${expdir}/${ser_name}_ssl${n}${draws}_${sys}_folds${suffix}
    jsertk score-folds "${decs[@]}" --out "${out}" --bootstrap-unit "${bootstrap_unit}" --repeats "${ssl_draws}" \
      --title "${corpus}: ${ser_name}, labels of ${n} training speakers per fold${draws_title}, ${sys}, $((${#decs[@]} / ssl_draws)) folds" \
      | grep 'mean ± std' >&2
    systems+=("${out}")
  done
  # the upper bound: stage 6's model of every training speaker's labels, when it has been scored
  full=${expdir}/${ser_name}_folds${suffix}
  [ ! -f "${full}/results.json" ] || systems+=("${full}")
  python3 steps/systems_table.py --out "${expdir}/RESULTS_${ser_name}_ssl${n}${draws}${suffix}.md" --title \
    "${corpus}: semi-supervised systems, emotion labels of ${n} training speakers per fold${draws_title}" \
    "${systems[@]}" > /dev/null
  log "stage 9: done in ${SECONDS} s (table: ${expdir}/RESULTS_${ser_name}_ssl${n}${draws}${suffix}.md)"
fi

log "finished (--stage ${stage} --stop-stage ${stop_stage})"
