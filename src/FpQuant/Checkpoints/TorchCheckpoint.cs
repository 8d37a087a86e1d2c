using FpQuant.Core;
using FpQuant.Networks;

namespace FpQuant.Checkpoints;

public static class TorchCheckpoint
{
    public static StateDict LoadStateDict(string path) => throw new FpQuantException($"checkpoint '{path}': not yet readable");
}
