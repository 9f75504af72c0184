#pragma once
// Which device runs the networks of this process (builds with GPU=1; docs/cuda.md). The apps set
// it from -nogpu / -i N / -gpus N (src/apps/device_flags.cpp); the trainer and the Detector ask
// active_device(). This header needs no CUDA headers.
#include <string>

namespace dn::cuda {

// -i N / -gpus N: run on device N (the default is device 0).
void request_device(int index);
// -nogpu: run on the CPU, silently.
void request_cpu();

// The device to run on, or -1 for the CPU. Without -nogpu: the requested device when CUDA sees
// any; when it sees none (no driver, no device), -1, after printing once per process
//   warning: built with GPU=1 but no CUDA device is visible: running on the CPU
// Throws dn::Error when the requested index is not visible.
int active_device();

// Devices CUDA sees (0 when the driver or the devices are missing); prints nothing.
int visible_devices();
// "NVIDIA H200 (sm_90, 139.8 GiB)" for the device, for logs and benchmarks.
std::string device_description(int index);

}  // namespace dn::cuda
