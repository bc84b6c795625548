import Glibc

/// Keeps blobflow's secrets (the account key, a connection string, the managed identity's header,
/// tokens in memory) away from the apps it runs as the same user.
///
/// On Linux any process of the same user may read another's `/proc/PID/environ`, `/proc/PID/mem`
/// and attach a debugger to it, unless that process is not dumpable: then those files belong to
/// root and ptrace is refused (without `CAP_SYS_PTRACE`). blobflow makes itself not dumpable
/// first thing; the flag is kept across threads and is reset only by an `execve` of another
/// program, so azcopy and apps started by blobflow are dumpable again, as they should be: they
/// hold nothing of blobflow's.
enum ProcessProtection {
    /// `PR_SET_DUMPABLE` and `PR_GET_DUMPABLE` of `<linux/prctl.h>`.
    private static let setDumpable: Int32 = 4
    private static let getDumpable: Int32 = 3

    /// `prctl(2)`, which Swift cannot import (it is variadic); every argument is a machine word.
    private typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    private static let prctl: Prctl? = dlsym(dlopen(nil, RTLD_NOW), "prctl").map { unsafeBitCast($0, to: Prctl.self) }

    /// Makes this process not dumpable. Returns false (and blobflow carries on, less protected)
    /// when the system refuses, which Linux does not.
    @discardableResult
    static func makeNotDumpable() -> Bool {
        guard let prctl = Self.prctl else { return false }
        return prctl(Self.setDumpable, 0, 0, 0, 0) == 0 && prctl(Self.getDumpable, 0, 0, 0, 0) == 0
    }
}
