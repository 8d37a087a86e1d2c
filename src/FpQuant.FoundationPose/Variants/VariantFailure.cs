using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Variants;

/// <summary>
/// What happens when one variant of a run (bench, bench --track, eval, eval --mode track) fails: an error that comes
/// from the variant itself (a bad or missing model file, a provider ONNX Runtime refuses, a model too large for
/// memory) fails that variant, its message goes into the report, and the others go on; the verb then exits with
/// <see cref="ExitCode"/>. Anything else is a bug or a broken machine (a failed disk write) and stops the run, so it is
/// never written down as a failed variant. Cancellation always stops the run.
/// </summary>
internal static class VariantFailure
{
    /// <summary>The exit code of a run that wrote its report but had a variant fail (bad input exits 2).</summary>
    public const int ExitCode = 1;

    /// <summary>Whether <paramref name="e"/> fails the variant rather than the run.</summary>
    public static bool FailsTheVariant(Exception e) =>
        e is FpQuantException or OnnxRuntimeException or OutOfMemoryException;

    /// <summary>Runs one step of a variant: null when it succeeded, else the message that fails the variant.</summary>
    public static string? Run(Action step)
    {
        try
        {
            step();
            return null;
        }
        catch (Exception e) when (FailsTheVariant(e))
        {
            return e.Message;
        }
    }
}
