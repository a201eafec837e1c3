"""A lean process that holds a freshly initialised espeak-ng and forks one child per request.

Run by jsertk.data.synth.espeak as `python -I -S espeak_zygote.py LIBRARY DATA_DIR`; standard
library only, so that forking it is cheap. Every child starts from the state right after
initialisation, which makes each utterance independent of the ones before it.

Protocol (binary, over stdin/stdout): startup writes the sample rate as int32. A request is
struct "<qiiiiII" (seed, rate, pitch, range, volume, voice length, text length) followed by the
UTF-8 voice name and text; the answer is one status byte ("A" audio, "E" error), a uint64
length, and that many bytes (int16 samples, or the error message).
"""
import ctypes
import os
import struct
import sys

REQUEST = struct.Struct("<qiiiiII")
ANSWER = struct.Struct("<cQ")
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def read_exact(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def synthesize(lib, variants_dir, chunks, seed, rate, pitch, range_, volume, voice, text):
    variant = voice.partition("+")[2]
    if variant and not os.path.isfile(os.path.join(variants_dir, variant)):
        # espeak falls back to the plain voice silently; a missing variant is an error here.
        raise RuntimeError(f"unknown espeak voice variant '{variant}' (not in {variants_dir})")
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise RuntimeError(f"espeak cannot load voice '{voice}'")
    for param, value in ((1, rate), (2, volume), (3, pitch), (4, range_)):
        lib.espeak_SetParameter(param, value, 0)
    lib.espeak_ng_SetRandSeed(ctypes.c_long(seed))  # espeak seeds it from the clock otherwise
    data = text.encode("utf-8")
    err = lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, 1, None, None)  # position 0, UTF-8
    if err != 0:
        raise RuntimeError(f"espeak_Synth failed ({err}) on '{text}'")
    if not chunks:
        raise RuntimeError(f"espeak produced no audio for '{text}' with voice {voice}")
    return b"".join(chunks)


def main():
    library, data_path = sys.argv[1], sys.argv[2]
    lib = ctypes.cdll.LoadLibrary(library)
    lib.espeak_Initialize.restype = ctypes.c_int
    rate = lib.espeak_Initialize(2, 500, data_path.encode(), 0x8000)  # synchronous, don't exit
    out, inp = sys.stdout.buffer, sys.stdin.buffer
    out.write(struct.pack("<i", rate))
    out.flush()
    if rate <= 0:
        return 1
    chunks = []

    def collect(wav, n, events):
        if n > 0:
            chunks.append(ctypes.string_at(wav, 2 * n))
        return 0

    callback = CALLBACK(collect)  # keep a reference: the library holds the pointer
    lib.espeak_SetSynthCallback(callback)
    variants_dir = os.path.join(data_path, "voices", "!v")
    while True:
        header = read_exact(inp, REQUEST.size)
        if header is None:
            return 0
        seed, rate_wpm, pitch, range_, volume, n_voice, n_text = REQUEST.unpack(header)
        voice = read_exact(inp, n_voice).decode("utf-8")
        text = read_exact(inp, n_text).decode("utf-8")
        pid = os.fork()
        if pid == 0:
            try:
                payload, status = synthesize(lib, variants_dir, chunks, seed, rate_wpm, pitch, range_, volume,
                                             voice, text), b"A"
            except BaseException as e:  # noqa: BLE001 - every failure must reach the client
                payload, status = str(e).encode("utf-8", "replace"), b"E"
            out.write(ANSWER.pack(status, len(payload)) + payload)
            out.flush()
            os._exit(0)
        _, code = os.waitpid(pid, 0)
        if code != 0:
            message = f"espeak child process died (status {code}) on '{text}'".encode()
            out.write(ANSWER.pack(b"E", len(message)) + message)
            out.flush()


if __name__ == "__main__":
    sys.exit(main())
