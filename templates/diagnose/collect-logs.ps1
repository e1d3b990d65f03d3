# win-k8s diagnose --bundle: prints the node's logs for the support bundle, each file as
#   WIN-K8S-FILE-BEGIN <name>
#   <base64 of the gzip of the file's tail, in lines of at most 4000 characters>
#   WIN-K8S-FILE-END <name>
# Only the tail of each file is sent (MaxBytes), and at most TotalBytes in all: the output is
# read back as a pod log, which the kubelet rotates at 10 MiB by default, so a larger output
# would lose its beginning. Secrets are redacted on the client, where the rules live.
param(
    [int]$MaxBytes = 1048576,
    [int]$TotalBytes = 6291456
)
$script:sent = 0
$ErrorActionPreference = 'Continue'

$sources = [ordered]@{
    'kubelet'    = @('C:\var\log\kubelet\*.log', 'C:\k\kubelet*.log')
    'kube-proxy' = @('C:\var\log\kube-proxy\*.log', 'C:\k\kube-proxy*.log', 'C:\k\kubeproxy*.log')
    'containerd' = @('C:\var\log\containerd*.log', 'C:\var\log\containerd\*.log', 'C:\k\containerd*.log')
    'docker'     = @('C:\ProgramData\docker\panic.log')
    'flanneld'   = @('C:\var\log\flanneld\*.log', 'C:\k\flanneld*.log')
    'bootstrap'  = @('C:\ProgramData\win-k8s\bootstrap.log')
    'cni'        = @('C:\etc\cni\net.d\*.conf', 'C:\etc\cni\net.d\*.conflist')
    'containerd-config' = @('C:\Program Files\containerd\config.toml')
}

function Write-FileTail([string]$Name, [string]$Path) {
    if ($script:sent -ge $TotalBytes) {
        Write-Output "WIN-K8S-FILE-ERROR $Name skipped: the bundle's size budget is spent"
        return
    }
    try {
        $stream = [System.IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite')
        try {
            $skip = [Math]::Max(0, $stream.Length - $MaxBytes)
            [void]$stream.Seek($skip, 'Begin')
            $buffer = New-Object byte[] ($stream.Length - $skip)
            $read = 0
            while ($read -lt $buffer.Length) {
                $n = $stream.Read($buffer, $read, $buffer.Length - $read)
                if ($n -le 0) { break }
                $read += $n
            }
        } finally {
            $stream.Dispose()
        }
        $packed = New-Object System.IO.MemoryStream
        $gzip = New-Object System.IO.Compression.GZipStream($packed, [System.IO.Compression.CompressionMode]::Compress)
        $gzip.Write($buffer, 0, $read)
        $gzip.Dispose()
        $text = [Convert]::ToBase64String($packed.ToArray())
        $script:sent += $text.Length
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
