using System.Diagnostics;

namespace FpQuant.Runtime;

/// <summary>Samples the process working set in the background to find the peak during a piece of work.</summary>
public sealed class WorkingSetSampler : IDisposable
{
    private readonly Process _self = Process.GetCurrentProcess();
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peak;

    private readonly int _intervalMs;

    public WorkingSetSampler(int intervalMs = 10)
    {
        _intervalMs = intervalMs;
        _thread = new Thread(Loop) { IsBackground = true, Name = "working-set sampler" };
        _thread.Start();
    }

    // Process.Refresh is not thread-safe, and both the caller and the sampling thread read it.
    public long Current() { lock (_self) { _self.Refresh(); return _self.WorkingSet64; } }
    public void ResetPeak() => Interlocked.Exchange(ref _peak, Current());
    public long Peak() { Sample(); return Interlocked.Read(ref _peak); }

    private void Sample()
    {
        long v = Current();
        long p;
        while (v > (p = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, v, p) != p) { }
    }

    private void Loop()
    {
        while (!_stop) { Sample(); Thread.Sleep(_intervalMs); }
    }

    public void Dispose() { _stop = true; _thread.Join(); }
}
