from citedesk.cli import ingest_main

if __name__ == "__main__":
    ingest_main()
