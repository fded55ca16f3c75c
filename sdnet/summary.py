"""Print each network's parameter counts: `python -m sdnet.summary --preset paper`."""
import argparse

from sdnet.config import PRESETS, get_preset


def parameter_counts(cfg):
    """(name, trainable, non_trainable) for the five SDNet networks."""
    from keras import ops
    from sdnet.methods.sdnet import SDNet

    model = SDNet(cfg)
    model.discriminator.trainable = True

    def count(variables):
        return int(sum(ops.size(v) for v in variables))

    return [(name, count(net.trainable_weights), count(net.non_trainable_weights))
            for name, net in model.networks.items()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="paper", choices=sorted(PRESETS))
    args = parser.parse_args(argv)
    for name, trainable, non_trainable in parameter_counts(get_preset(args.preset)):
        print(f"{name} trainable={trainable} non_trainable={non_trainable}")


if __name__ == "__main__":
    main()
