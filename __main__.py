from yocr.cli import main

main()
