"""What the bench scripts share (standard library only): they import it from this folder."""
import subprocess
import sys


def log(msg):
    print("   " + msg, file=sys.stderr, flush=True)


def sinkron(binary):
    """`sk(*args, home=H)`: runs `binary ARGS --home H` and returns its stdout; a failure ends the script."""
    def sk(*args, home):
        p = subprocess.run([binary] + list(args) + ["--home", home], capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit("sinkron %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr[-2000:]))
        return p.stdout
    return sk
