using System.Diagnostics;

namespace FpQuant.Runtime;

/// <summary>Samples the process working set in the background to find the peak during a piece of work, the peak
/// of the whole run, and (when asked) the working set over time.</summary>
internal sealed class WorkingSetSampler : IDisposable
{
    private readonly Process _self = Process.GetCurrentProcess();
    private readonly Thread _thread;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private volatile bool _stop;
    private long _peak;
    private long _overallPeak;
    private readonly int _intervalMs;
    private readonly int _timelineMs;
    private readonly List<(double Seconds, long Bytes)> _timeline = new();
    private double _lastRecorded = double.NegativeInfinity;

    /// <param name="timelineMs">Keep one sample every this many milliseconds for <see cref="Timeline"/> (0:
    /// none).</param>
    public WorkingSetSampler(int intervalMs = 10, int timelineMs = 0)
    {
        _intervalMs = intervalMs;
        _timelineMs = timelineMs;
        _thread = new Thread(Loop) { IsBackground = true, Name = "working-set sampler" };
        _thread.Start();
    }

    // Process.Refresh is not thread-safe, and both the caller and the sampling thread read it.
    public long Current() { lock (_self) { _self.Refresh(); return _self.WorkingSet64; } }
    public void ResetPeak() => Interlocked.Exchange(ref _peak, Current());
    /// <summary>The peak since the last <see cref="ResetPeak"/>.</summary>
    public long Peak() { Sample(); return Interlocked.Read(ref _peak); }
    /// <summary>The peak since the sampler started.</summary>
    public long OverallPeak() { Sample(); return Interlocked.Read(ref _overallPeak); }
    /// <summary>Seconds since the sampler started.</summary>
    public double Seconds => _clock.Elapsed.TotalSeconds;

    /// <summary>The kept samples (seconds since the start, bytes), in order.</summary>
    public IReadOnlyList<(double Seconds, long Bytes)> Timeline
    {
        get { lock (_timeline) return _timeline.ToList(); }
    }

    private void Sample()
    {
        long v = Current();
        Raise(ref _peak, v);
        Raise(ref _overallPeak, v);
        if (_timelineMs <= 0) return;
        double t = _clock.Elapsed.TotalSeconds;
        lock (_timeline)
        {
            if (t - _lastRecorded < _timelineMs / 1000.0) return;
            _timeline.Add((t, v));
            _lastRecorded = t;
        }
    }

    private static void Raise(ref long field, long v)
    {
        long p;
        while (v > (p = Interlocked.Read(ref field)) && Interlocked.CompareExchange(ref field, v, p) != p) { }
    }

    private void Loop()
    {
        while (!_stop) { Sample(); Thread.Sleep(_intervalMs); }
    }

    public void Dispose() { _stop = true; _thread.Join(); }
}
