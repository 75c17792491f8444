from citedesk.cli import bot_main

if __name__ == "__main__":
    bot_main()
