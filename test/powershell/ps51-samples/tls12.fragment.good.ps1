# A fragment: the assembled script's main part sets TLS 1.2 before anything runs.
function Get-Stable {
    Invoke-WebRequest -UseBasicParsing -Uri https://dl.k8s.io/release/stable.txt
}
