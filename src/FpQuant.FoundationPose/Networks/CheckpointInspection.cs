namespace FpQuant.Networks;

/// <summary>
/// What a torch.save checkpoint holds: which network, how many weights, and what else takes the bytes.
/// </summary>
internal sealed record CheckpointInspection(
    string Path,
    long FileBytes,
    string Format,
    string StateDictLocation,
    int Tensors,
    long Elements,
    long WeightBytes,
    long OptimizerBytes,
    long OtherTensorBytes,
    List<string> OtherEntries,
    Dictionary<string, int> DTypes,
    string Network,
    double? LoadSeconds,
    long? LoadPeakBytes)
{
    public IEnumerable<string> Lines()
    {
        yield return $"checkpoint {System.IO.Path.GetFileName(Path)}: {FileBytes / 1e6:F1} MB, torch.save {Format} " +
            $"format";
        yield return $"network: {Network}";
        yield return $"state_dict at {StateDictLocation}: {Tensors} tensors, {Elements:N0} values, " +
            $"{WeightBytes / 1e6:F1} MB";
        yield return $"optimizer state: {OptimizerBytes / 1e6:F1} MB; other tensors: {OtherTensorBytes / 1e6:F1} MB";
        if (OtherEntries.Count > 0) yield return $"other entries: {string.Join(", ", OtherEntries)}";
        yield return "dtypes: " + string.Join(", ", DTypes.Select(d => $"{d.Key} {d.Value}"));
        if (LoadSeconds is double s)
            yield return $"load of the state_dict: {s * 1000:F0} ms, peak working set " +
                $"+{(LoadPeakBytes ?? 0) / 1e6:F0} MB";
    }
}
