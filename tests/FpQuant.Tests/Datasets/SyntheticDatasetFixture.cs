using FpQuant.Datasets;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Datasets;

/// <summary>
/// One make-dataset output (4 images, 2 scenes) shared by a test class; tests that damage a dataset copy it.
/// </summary>
public sealed class SyntheticDatasetFixture : IDisposable
{
    private readonly TempDir _dir = new();
    public string Root { get; }
    internal SyntheticDatasetSummary Summary { get; }

    public SyntheticDatasetFixture()
    {
        Root = System.IO.Path.Combine(_dir.Path, "synth");
        Summary = SyntheticBopDataset.Write(Root, 4, 0);
    }

    /// <summary>A copy of the dataset in a new temp folder, to break.</summary>
    public string CopyTo(TempDir dir)
    {
        string dst = System.IO.Path.Combine(dir.Path, "synth");
        foreach (var f in Directory.GetFiles(Root, "*", SearchOption.AllDirectories))
        {
            string to = System.IO.Path.Combine(dst, System.IO.Path.GetRelativePath(Root, f));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        return dst;
    }

    public void Dispose() => _dir.Dispose();
}
