# win-k8s diagnose --bundle: prints the node's logs for the support bundle, each file as
#   WIN-K8S-FILE-BEGIN <name>
#   <base64 of the gzip of the file's tail, in lines of at most 4000 characters>
#   WIN-K8S-FILE-END <name>
# Only the tail of each file is sent (MaxBytes; a line WIN-K8S-FILE-TRUNCATED <name> <kept>
# <size> before it says so), and at most TotalBytes of base64 in all (a file that would pass
# it is named in a WIN-K8S-FILE-ERROR line): the output is read back as a pod log, which the
# kubelet rotates at 10 MiB by default, so a larger output would lose its beginning. Files are
# sent as UTF-8 (UTF-16 ones converted). Secrets are redacted on the client, where the rules live.
param(
    [int]$MaxBytes = 1048576,
    [int]$TotalBytes = 6291456
)
$script:sent = 0
$ErrorActionPreference = 'Continue'

# Under Windows' own roots, never a literal drive: C:\var\log and C:\k (the kubelet's, our
# bootstrap's and the older guides' places), C:\ProgramData, C:\Program Files.
$sources = [ordered]@{
    'kubelet'    = @((Join-Path $env:SystemDrive 'var\log\kubelet\*.log'), (Join-Path $env:SystemDrive 'k\kubelet*.log'))
    'kube-proxy' = @((Join-Path $env:SystemDrive 'var\log\kube-proxy\*.log'), (Join-Path $env:SystemDrive 'k\kube-proxy*.log'), (Join-Path $env:SystemDrive 'k\kubeproxy*.log'))
    'containerd' = @((Join-Path $env:SystemDrive 'var\log\containerd*.log'), (Join-Path $env:SystemDrive 'var\log\containerd\*.log'), (Join-Path $env:SystemDrive 'k\containerd*.log'))
    'docker'     = @((Join-Path $env:ProgramData 'docker\panic.log'))
    'flanneld'   = @((Join-Path $env:SystemDrive 'var\log\flanneld\*.log'), (Join-Path $env:SystemDrive 'k\flanneld*.log'))
    'bootstrap'  = @((Join-Path $env:ProgramData 'win-k8s\bootstrap.log'))
    'cni'        = @((Join-Path $env:SystemDrive 'etc\cni\net.d\*.conf'), (Join-Path $env:SystemDrive 'etc\cni\net.d\*.conflist'))
    'containerd-config' = @((Join-Path $env:ProgramFiles 'containerd\config.toml'))
}

function Write-FileTail([string]$Name, [string]$Path) {
    if ($script:sent -ge $TotalBytes) {
        Write-Output "WIN-K8S-FILE-ERROR $Name skipped: the bundle's size budget is spent"
        return
    }
    try {
        # Delete sharing lets the writer rename the file away (log rotation) while it is read
        # here; without it the rotation would fail for as long as this script holds the file.
        $share = [System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete
        $stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, $share)
        try {
            $length = $stream.Length
            $head = New-Object byte[] 3
            $headRead = $stream.Read($head, 0, 3)
            # Windows PowerShell's ">>" and Out-File write UTF-16LE with a BOM: such a file is
            # sent as UTF-8 like the others, so the client can read and redact it.
            $utf16 = ($headRead -ge 2 -and $head[0] -eq 0xFF -and $head[1] -eq 0xFE)
            $bom = 0
            if ($utf16) { $bom = 2 }
            elseif ($headRead -eq 3 -and $head[0] -eq 0xEF -and $head[1] -eq 0xBB -and $head[2] -eq 0xBF) { $bom = 3 }
            $skip = [Math]::Max($bom, $length - $MaxBytes)
            # A UTF-16 tail starts on a character, not in the middle of one.
            if ($utf16 -and (($skip - $bom) % 2) -ne 0) { $skip++ }
            [void]$stream.Seek($skip, 'Begin')
            # The file may shrink or grow while it is read (a writer, a rotation): read what is there.
            $buffer = New-Object byte[] ([Math]::Max(0, $length - $skip))
            $read = 0
            while ($read -lt $buffer.Length) {
                $n = $stream.Read($buffer, $read, $buffer.Length - $read)
                if ($n -le 0) { break }
                $read += $n
            }
        } finally {
            $stream.Dispose()
        }
        if ($utf16) {
            $buffer = [System.Text.Encoding]::UTF8.GetBytes([System.Text.Encoding]::Unicode.GetString($buffer, 0, $read - ($read % 2)))
            $read = $buffer.Length
        }
        $packed = New-Object System.IO.MemoryStream
        $gzip = New-Object System.IO.Compression.GZipStream($packed, [System.IO.Compression.CompressionMode]::Compress)
        $gzip.Write($buffer, 0, $read)
        $gzip.Dispose()
        $text = [Convert]::ToBase64String($packed.ToArray())
        if ($script:sent + $text.Length -gt $TotalBytes) {
            Write-Output ("WIN-K8S-FILE-ERROR $Name skipped: its {0} characters would pass the bundle's size budget ({1} of {2} left)" -f $text.Length, ($TotalBytes - $script:sent), $TotalBytes)
            return
        }
        $script:sent += $text.Length
        if ($skip -gt $bom) {
            # Named before the file, so the client can say that only the tail was sent.
            Write-Output ('WIN-K8S-FILE-TRUNCATED {0} {1} {2}' -f $Name, ($length - $skip), $length)
        }
        Write-Output "WIN-K8S-FILE-BEGIN $Name"
        for ($i = 0; $i -lt $text.Length; $i += 4000) {
            Write-Output $text.Substring($i, [Math]::Min(4000, $text.Length - $i))
        }
        Write-Output "WIN-K8S-FILE-END $Name"
    } catch {
        Write-Output "WIN-K8S-FILE-ERROR $Name $($_.Exception.Message)"
    }
}

foreach ($source in $sources.Keys) {
    foreach ($pattern in $sources[$source]) {
        foreach ($file in @(Get-ChildItem -Path $pattern -File -ErrorAction SilentlyContinue)) {
            Write-FileTail -Name ('{0}/{1}' -f $source, $file.Name) -Path $file.FullName
        }
    }
}
exit 0
