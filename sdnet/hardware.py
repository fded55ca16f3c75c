"""What a run ran on, in words, and whether an accelerator is present (backend by backend)."""
import os
import platform


def accelerator():
    """The GPU name, or None."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf
            gpus = tf.config.list_physical_devices("GPU")
            return gpus[0].name if gpus else None
        if backend == "jax":
            import jax
            devices = [d for d in jax.devices() if d.platform != "cpu"]
            return devices[0].device_kind if devices else None
        if backend == "torch":
            import torch
            return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001 - a broken GPU stack means "no GPU" here
        return None
    return None


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def vector_extension():
    """"AVX-512", "AVX2" or None (x86 only): machines that all call themselves "AMD EPYC" ran the
    same paper-size inference at 15.6 and 6.6 s; the vector extension tells generations apart."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return None
    return "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else None


def describe():
    import keras

    gpu = accelerator()
    cpu = f"{cpu_name()} ({', '.join(filter(None, [f'{os.cpu_count()} cores', vector_extension()]))})"
    return {"backend": keras.backend.backend(), "keras": keras.__version__,
            "device": gpu or "CPU", "cpu": cpu}
