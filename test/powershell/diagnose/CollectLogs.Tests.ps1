# templates/diagnose/collect-logs.ps1 on a folder of real logs under pwsh; the mocha driver
# reads the same output back with the CLI's parser (src/diagnose/bundle.ts).
BeforeAll {
    $script:Collect = Join-Path $PSScriptRoot '..\..\..\templates\diagnose\collect-logs.ps1'
    $script:Saved = @{}
    foreach ($n in @('SystemDrive', 'ProgramData', 'ProgramFiles')) { $script:Saved[$n] = [Environment]::GetEnvironmentVariable($n) }
    function Expand-Collected([string[]]$Lines) {
        $files = [ordered]@{}
        $name = $null
        $chunks = $null
        foreach ($l in $Lines) {
            if ($l -match '^WIN-K8S-FILE-BEGIN (.+)$') { $name = $Matches[1]; $chunks = New-Object System.Text.StringBuilder }
            elseif ($l -match '^WIN-K8S-FILE-END ') {
                $in = New-Object System.IO.MemoryStream(, [Convert]::FromBase64String($chunks.ToString()))
                $gz = New-Object System.IO.Compression.GZipStream($in, [System.IO.Compression.CompressionMode]::Decompress)
                $out = New-Object System.IO.MemoryStream
                $gz.CopyTo($out)
                $files[$name] = $out.ToArray()
                $name = $null
            }
            elseif ($name) { [void]$chunks.Append($l) }
        }
        return $files
    }
}
AfterAll {
    foreach ($n in $script:Saved.Keys) { [Environment]::SetEnvironmentVariable($n, $script:Saved[$n]) }
}

Describe 'collect-logs.ps1' {
    BeforeAll {
        $drive = Join-Path $TestDrive 'C'
        $env:SystemDrive = $drive
        $env:ProgramData = Join-Path $drive 'ProgramData'
        $env:ProgramFiles = Join-Path $drive 'Program Files'
        foreach ($d in @('var\log\kubelet', 'var\log\kube-proxy', 'ProgramData\win-k8s', 'etc\cni\net.d')) { New-Item -ItemType Directory -Force -Path (Join-Path $drive $d) | Out-Null }
        $utf8 = New-Object System.Text.UTF8Encoding($false)
        # 3000 numbered lines: over 100 KB, twice a 50001-byte per-file budget.
        $big = 1..3000 | ForEach-Object { 'kubelet line {0:D6} ........................' -f $_ }
        [IO.File]::WriteAllLines((Join-Path $drive 'var\log\kubelet\kubelet.log'), [string[]]$big, $utf8)
        [IO.File]::WriteAllLines((Join-Path $drive 'var\log\kube-proxy\kube-proxy.log'), [string[]]@('proxy ünïcödé line', 'token=abcdef.0123456789abcdef'), (New-Object System.Text.UnicodeEncoding($false, $true)))
        [IO.File]::WriteAllText((Join-Path $drive 'ProgramData\win-k8s\bootstrap.log'), "win-k8s: join done`n", $utf8)
        [IO.File]::WriteAllText((Join-Path $drive 'etc\cni\net.d\10-flannel.conf'), '{"name":"flannel.4096","type":"flannel"}', $utf8)
        $script:Lines = @(& $script:Collect -MaxBytes 50001 -TotalBytes 1000000)
        $script:Files = Expand-Collected $script:Lines
    }

    It 'sends each file found under the roots, named by source' {
        @($script:Files.Keys) | Should -Be @('kubelet/kubelet.log', 'kube-proxy/kube-proxy.log', 'bootstrap/bootstrap.log', 'cni/10-flannel.conf')
    }

    It 'keeps only the tail of a file over the per-file budget, and says so before it' {
        $size = (Get-Item -LiteralPath (Join-Path $env:SystemDrive 'var\log\kubelet\kubelet.log')).Length
        $size | Should -BeGreaterThan 100000
        $script:Lines | Should -Contain ('WIN-K8S-FILE-TRUNCATED kubelet/kubelet.log 50001 {0}' -f $size)
        $text = [System.Text.Encoding]::UTF8.GetString($script:Files['kubelet/kubelet.log'])
        $script:Files['kubelet/kubelet.log'].Length | Should -Be 50001
        $text | Should -Match 'kubelet line 003000 \.+\n$'
        $text | Should -Not -Match 'kubelet line 001000 '
    }

    It 'sends a UTF-16LE file as UTF-8 without its BOM' {
        [System.Text.Encoding]::UTF8.GetString($script:Files['kube-proxy/kube-proxy.log']) | Should -Be "proxy ünïcödé line`ntoken=abcdef.0123456789abcdef`n"
    }

    It 'keeps a UTF-16LE tail on a character boundary' {
        $lines = @(& $script:Collect -MaxBytes 21 -TotalBytes 1000000)
        $tail = (Expand-Collected $lines)['kube-proxy/kube-proxy.log']
        # 21 bytes back from the end is inside a character: the tail starts one byte later, 10 characters.
        [System.Text.Encoding]::UTF8.GetString($tail) | Should -Be "789abcdef`n"
    }

    It 'names the files the total budget cannot hold, and sends nothing past it' {
        $lines = @(& $script:Collect -MaxBytes 1000000 -TotalBytes 2000)
        $sent = ($lines | Where-Object { $_ -notmatch '^WIN-K8S-' } | Measure-Object -Property Length -Sum).Sum
        $sent | Should -BeLessOrEqual 2000
        @($lines | Where-Object { $_ -like 'WIN-K8S-FILE-ERROR kubelet/kubelet.log skipped: *budget*' }) | Should -HaveCount 1
        @($lines | Where-Object { $_ -like 'WIN-K8S-FILE-BEGIN *' }).Count | Should -BeGreaterThan 0
    }

    It 'names a file that is gone by the time it is opened (rotated away) and goes on' {
        Mock Get-ChildItem {
            $gone = Join-Path $env:SystemDrive 'var\log\kubelet\kubelet-rotated.log'
            [System.IO.FileInfo]::new($gone)
            # The cmdlet itself, not a name the mock would catch again.
            $cmdlet = $ExecutionContext.InvokeCommand.GetCmdlet('Get-ChildItem')
            & $cmdlet -Path $Path -File -ErrorAction SilentlyContinue
        } -ParameterFilter { $Path -like '*kubelet*\*.log' -or $Path -like '*kubelet*/*.log' }
        $lines = @(& $script:Collect -MaxBytes 1000000 -TotalBytes 1000000)
        @($lines | Where-Object { $_ -like 'WIN-K8S-FILE-ERROR kubelet/kubelet-rotated.log *' }) | Should -HaveCount 1
        $lines | Should -Contain 'WIN-K8S-FILE-BEGIN kubelet/kubelet.log'
        $lines | Should -Contain 'WIN-K8S-FILE-BEGIN cni/10-flannel.conf'
    }
}
