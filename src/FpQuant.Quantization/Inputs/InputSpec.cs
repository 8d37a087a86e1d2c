using FpQuant.Core;
using FpQuant.Quantization.Calibration;

namespace FpQuant.Inputs;

/// <summary>Makes an <see cref="InputSource"/> from the text after a spec's "KIND:" prefix.</summary>
/// <param name="argument">Everything after the first ':' of the spec (may be empty).</param>
/// <param name="spec">The whole spec, for error messages.</param>
/// <param name="options">Batch size and the image and text options.</param>
/// <returns>The source the spec names.</returns>
public delegate InputSource InputSourceFactory(string argument, string spec, DataOptions options);

/// <summary>
/// The kinds of input spec a parser knows ("npy:DIR[:COUNT]", ...), each with its syntax for help text. Immutable:
/// <see cref="With"/> returns a new set, so a layer above the quantizer adds its own kinds without touching the
/// built-in ones.
/// </summary>
public sealed class InputKinds
{
    private readonly (string Kind, string Syntax, InputSourceFactory Factory)[] _kinds;

    private InputKinds((string, string, InputSourceFactory)[] kinds) => _kinds = kinds;

    /// <summary>Inputs for any model: npy:DIR[:COUNT], images:DIR[:COUNT] and text:FILE[:COUNT].</summary>
    public static InputKinds Builtin { get; } = new InputKinds([
        ("npy", "npy:DIR[:COUNT] (one INPUT.npy per model input, samples on axis 0)", (a, s, o) =>
        {
            var (path, count) = InputSpec.PathAndCount(s, a);
            return new NpyInputSource(path, count, o.BatchSize);
        }),
        ("images", "images:DIR[:COUNT] (PNG/JPEG for an image model)", (a, s, o) =>
        {
            var (path, count) = InputSpec.PathAndCount(s, a);
            return new ImageInputSource(path, count, o.Image, o.BatchSize);
        }),
        ("text", "text:FILE[:COUNT] (one sentence a line, for a BERT-style model)", (a, s, o) =>
        {
            var (path, count) = InputSpec.PathAndCount(s, a);
            return new TextInputSource(path, count, o.Text, o.BatchSize);
        }),
    ]);

    /// <summary>These kinds and one more; <paramref name="kind"/> replaces a kind of the same name.</summary>
    /// <param name="kind">The prefix before the first ':' of a spec, e.g. "npy".</param>
    /// <param name="syntax">The spec's syntax and meaning, for help text, e.g. "npy:DIR[:COUNT] (...)".</param>
    /// <param name="factory">Makes the source from the rest of the spec.</param>
    /// <returns>A new set; this one is unchanged.</returns>
    public InputKinds With(string kind, string syntax, InputSourceFactory factory)
    {
        if (string.IsNullOrEmpty(kind) || kind.Contains(':'))
            throw new ArgumentException($"input kind '{kind}' must be a non-empty name without ':'", nameof(kind));
        return new InputKinds(_kinds.Where(k => k.Kind != kind).Append((kind, syntax, factory)).ToArray());
    }

    /// <summary>The syntax of every kind, for help text and error messages.</summary>
    public string Help => "use " + string.Join(", ", _kinds.Select(k => k.Syntax));

    internal InputSourceFactory? Find(string kind) => _kinds.FirstOrDefault(k => k.Kind == kind).Factory;
}

/// <summary>Parses an input spec "KIND:ARGUMENT" (e.g. npy:DIR[:COUNT]) into an <see cref="InputSource"/>.</summary>
public static class InputSpec
{
    /// <summary>
    /// The source <paramref name="spec"/> names, among <paramref name="kinds"/> (the built-in ones when null).
    /// </summary>
    /// <param name="spec">"KIND:ARGUMENT", e.g. "npy:calib/" or "images:photos/:64".</param>
    /// <param name="options">Batch size and the image and text options.</param>
    /// <param name="kinds">The kinds to recognise; null for <see cref="InputKinds.Builtin"/>.</param>
    /// <returns>The source.</returns>
    /// <exception cref="FpQuantException">The kind is unknown or its argument is malformed.</exception>
    public static InputSource Parse(string spec, DataOptions options, InputKinds? kinds = null)
    {
        kinds ??= InputKinds.Builtin;
        int colon = spec.IndexOf(':');
        var factory = colon > 0 ? kinds.Find(spec[..colon]) : null;
        if (factory == null) throw new FpQuantException($"input spec '{spec}': {kinds.Help}");
        return factory(spec[(colon + 1)..], spec, options);
    }

    /// <summary>"PATH" or "PATH:COUNT" (the count a positive whole number after the last ':'), for a factory's
    /// argument.</summary>
    /// <param name="spec">The whole spec, for error messages.</param>
    /// <param name="rest">The factory's argument (the spec after "KIND:").</param>
    /// <returns>The path and the count (null when none is given).</returns>
    public static (string Path, int? Count) PathAndCount(string spec, string rest)
    {
        int colon = rest.LastIndexOf(':');
        int? count = null;
        if (colon > 0 && int.TryParse(rest[(colon + 1)..], out int c))
        {
            if (c <= 0) throw new FpQuantException($"input spec '{spec}': the count must be positive");
            count = c;
            rest = rest[..colon];
        }
        if (rest.Length == 0)
            throw new FpQuantException($"input spec '{spec}': the path is missing; use KIND:PATH[:COUNT]");
        return (rest, count);
    }
}
