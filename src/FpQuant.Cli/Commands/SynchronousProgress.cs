namespace FpQuant.Cli.Commands;

/// <summary>
/// IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool and can reorder lines).
/// </summary>
internal sealed class SynchronousProgress<T> : IProgress<T>
{
    private readonly Action<T> _a;
    public SynchronousProgress(Action<T> a) { _a = a; }
    public void Report(T value) => _a(value);
}
