"""Named configuration changes that several experiments share."""

# The CPU-scale setting of the one-labelled-subject study on ACDC (docs/results/sdnet_one_subject.md):
# 64 px, F = 16 with the paper's 64-filter segmentor and mask discriminator, the paper's learning
# rate and decay, every unlabelled image once an epoch (at most 1,200 of them: 285 steps at
# ACDC's split 0), 8 epochs. About 55 min a run on 2 cores with XLA, estimated from the 1.38 s
# step of docs/BENCHMARKS.md (2,280 steps); one thread beside other work took 135 min.
# The moving batch-norm statistics, as the original (the quick preset recomputes them): the study
# compares the two (`batchnorm_statistics=recomputed` is one of its variants).
ONE_SUBJECT_CPU = {"filters": 16, "segmentor_filters": 64, "discriminator_filters": 64, "modality_filters": 16,
                   "batches_per_epoch": 0, "max_unlabelled": 1200, "learning_rate": 1e-4, "decay": 1e-4,
                   "epochs": 8, "xla": True, "batchnorm_statistics": "moving"}
