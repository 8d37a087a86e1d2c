using FpQuant.Core;
using FpQuant.Quantization.Calibration;

namespace FpQuant.Inputs;

/// <summary>
/// The data a model is calibrated or evaluated on: npy files, images, text, or batches already in memory. Every
/// source reads lazily and is checked against the model's inputs when it is read.
/// </summary>
public static class ModelInputs
{
    /// <summary>
    /// A folder with one NumPy file per model input, named INPUT.npy (characters a file name cannot hold written '_'),
    /// samples on axis 0.
    /// </summary>
    /// <param name="folder">The folder of .npy files.</param>
    /// <param name="count">At most this many samples; null for all.</param>
    /// <param name="batchSize">Samples per batch (a model that fixes its batch size gets that size).</param>
    /// <returns>The source.</returns>
    public static InputSource FromNpy(string folder, int? count = null,
        int batchSize = CalibrationDefaults.BatchSize) =>
        new NpyInputSource(folder, count, batchSize);

    /// <summary>A folder of PNG or JPEG images for an image model, resized and normalised as
    /// <paramref name="options"/> says.</summary>
    /// <param name="folder">The folder of images.</param>
    /// <param name="options">Size, layout, mean and scale; null for the defaults.</param>
    /// <param name="count">At most this many images; null for all.</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <returns>The source.</returns>
    public static InputSource FromImages(string folder, ImageOptions? options = null, int? count = null,
        int batchSize = CalibrationDefaults.BatchSize) =>
        new ImageInputSource(folder, count, options ?? new ImageOptions(), batchSize);

    /// <summary>A text file with one sentence a line, tokenized (WordPiece) for a BERT-style model.</summary>
    /// <param name="file">The text file.</param>
    /// <param name="options">The vocabulary, sequence length and case; null for the defaults.</param>
    /// <param name="count">At most this many sentences; null for all.</param>
    /// <param name="batchSize">Sentences per batch.</param>
    /// <returns>The source.</returns>
    public static InputSource FromText(string file, TextOptions? options = null, int? count = null,
        int batchSize = CalibrationDefaults.BatchSize) =>
        new TextInputSource(file, count, options ?? new TextOptions(), batchSize);

    /// <summary>Batches already in memory, used as given (one batch is one run of the model).</summary>
    /// <param name="batches">The batches; each holds a tensor for every model input.</param>
    /// <param name="description">What the data is, for messages and the sidecar; null for
    /// "N in-memory batch(es)".</param>
    /// <returns>The source.</returns>
    public static InputSource FromBatches(IEnumerable<InputBatch> batches, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return new InMemoryInputSource(batches, description);
    }

    /// <summary>The source an input spec names, as the command line writes it: "npy:DIR[:COUNT]",
    /// "images:DIR[:COUNT]" or "text:FILE[:COUNT]" (and any kind <paramref name="kinds"/> adds).</summary>
    /// <param name="spec">The spec, e.g. "npy:calib/:64".</param>
    /// <param name="options">Batch size and the image and text options; null for the defaults.</param>
    /// <param name="kinds">The kinds to recognise; null for <see cref="InputKinds.Builtin"/>.</param>
    /// <returns>The source.</returns>
    public static InputSource FromSpec(string spec, DataOptions? options = null, InputKinds? kinds = null) =>
        InputSpec.Parse(spec, options ?? new DataOptions(), kinds);
}
