# Darknet-style front end: `make [GPU=0|1] [CUDNN=0|1] [OPENCV=0|1] [DEBUG=0|1]` drives CMake and
# leaves ./darknet at the top of the repository, as Darknet users expect.
GPU ?= 0
CUDNN ?= 0
OPENCV ?= $(shell pkg-config --exists opencv4 && echo 1 || echo 0)
DEBUG ?= 0
JOBS ?= $(shell nproc)
BUILD ?= build

onoff = $(if $(filter 1,$(1)),ON,OFF)
CMAKE_FLAGS = -DGPU=$(call onoff,$(GPU)) -DCUDNN=$(call onoff,$(CUDNN)) -DOPENCV=$(call onoff,$(OPENCV)) \
              -DCMAKE_BUILD_TYPE=$(if $(filter 1,$(DEBUG)),Debug,Release)

.PHONY: all darknet configure test bench clean
all: darknet

configure:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

darknet: configure
	cmake --build $(BUILD) -j$(JOBS)
	cp -f $(BUILD)/darknet ./darknet

test: darknet
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: darknet
	$(BUILD)/bench_inference ../shared

clean:
	rm -rf $(BUILD) ./darknet

# The quick loss A/B study on BCCD (bce, focal, mfocal; docs/ab_study.md).
.PHONY: run
run: darknet
	scripts/ab_losses --quick
